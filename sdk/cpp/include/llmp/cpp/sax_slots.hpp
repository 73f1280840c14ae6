// Bookkeeping for an nlohmann SAX handler that reads JSON of one known shape without a DOM
// (the front ends' scans of plain answers and stream chunks): which member the next value is
// for, passing over whole members the handler does not read, and refusing a repeated key.
//
// A handler derives from SaxSlots<Slot>, where Slot is its enum of what a value can be for and
// has the members None and Skip. In key(): return take(Slot::X, bit, seen) for a member it
// reads, skipValue() for one it passes over, false to give up; and return true at once while
// inSkipped(). Each scalar handler starts with `if (skipped()) return true;`, start_object and
// start_array with enterSkipped(), end_object and end_array with leaveSkipped().
#pragma once

#include <cstdint>

namespace llmp {

template <typename Slot>
class SaxSlots {
 protected:
  // Takes the value of a member for `slot`, refusing a key already seen in this object (one bit
  // per key in `seen`): a DOM keeps the last of repeated keys, which a scan does not imitate.
  bool take(Slot slot, uint64_t bit, uint64_t& seen) {
    if ((seen & bit) != 0) {
      return false;
    }
    seen |= bit;
    slot_ = slot;
    return true;
  }

  // The next value, of any shape, is passed over whole.
  bool skipValue() {
    slot_ = Slot::Skip;
    return true;
  }

  // Inside a passed-over member's containers (keys there are not the handler's).
  bool inSkipped() const { return skip_ > 0; }

  // True when a scalar belongs to a passed-over member (and consumes it).
  bool skipped() {
    if (skip_ > 0) {
      return true;
    }
    if (slot_ == Slot::Skip) {
      slot_ = Slot::None;
      return true;
    }
    return false;
  }

  // True when an object or array opens inside, or as, a passed-over member.
  bool enterSkipped() {
    if (skip_ > 0 || slot_ == Slot::Skip) {
      ++skip_;
      slot_ = Slot::None;
      return true;
    }
    return false;
  }

  // True when an object or array of a passed-over member closes.
  bool leaveSkipped() {
    if (skip_ > 0) {
      --skip_;
      return true;
    }
    return false;
  }

  Slot slot_ = Slot::None;  // what the value after the last key is for

 private:
  unsigned skip_ = 0;  // depth inside a passed-over member's containers
};

}  // namespace llmp
