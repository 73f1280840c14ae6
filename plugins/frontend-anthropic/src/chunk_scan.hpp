// Reads an IR chunk (GenerateContentResponse) of the usual plain shape without building a DOM.
// nlohmann's SAX parser walks the text once and keeps only what ResponseAssembler needs, where a
// DOM costs a heap node per value and per key; with many concurrent streams the DOM parse was
// about a quarter of the proxy's CPU per event.
//
// The scan covers a narrow shape: exactly one candidate whose parts are text (thought or not,
// with or without a thoughtSignature), a string finishReason and an integer index, integer usage
// counts, and modelVersion/responseId strings. Anything else gives up (tool calls, code parts,
// prompt feedback, finishMessage, malformed-call finishes, no or several candidates, nulls,
// floats, repeated keys, unknown keys, unexpected types, invalid JSON): the caller then parses
// into a DOM and calls ResponseAssembler::addChunk, which stays the reference for every case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "response_assembler.hpp"

namespace llmp::plugins::anthropic {

struct ScannedPart {
  std::string text;
  bool hasText = false;  // the part has a "text" member (possibly "")
  bool thought = false;
  std::string signature;  // "" when absent

  // Views into this part, as ResponseAssembler reads a part.
  PartPieces pieces() const;
};

struct ScannedChunk {
  std::optional<UsageCounts> usage;  // the chunk's usageMetadata, when it has one
  std::vector<ScannedPart> parts;    // the one candidate's parts
  std::string finishReason;          // "" when absent
};

// Scans `text` into `into`, reusing its storage (a stream scans every chunk into one
// ScannedChunk, so the steady state allocates nothing). Returns false when the text is not
// valid JSON or not of the plain shape; `into` then holds leftovers and must not be used.
bool scanChunk(std::string_view text, ScannedChunk& into);

// One chunk's text into `assembler`: read by scanChunk when it is of the plain shape (into
// `scratch`, whose storage the caller keeps from chunk to chunk), else parsed into a DOM for
// addChunk, which stays the reference. Text that is not JSON is skipped: a backend's broken
// chunk is its bug, and the rest may be fine.
void addChunkText(ResponseAssembler& assembler, std::string_view text, ScannedChunk& scratch);

}  // namespace llmp::plugins::anthropic
