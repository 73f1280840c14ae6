// Moves an iovec array past bytes a partial sendmsg/writev already sent, so the next call sends
// the rest: whole entries are dropped, the first unfinished one is trimmed.
#pragma once

#include <sys/uio.h>

#include <cstddef>

namespace llmp::host::http {

inline void advanceIovec(iovec*& iov, int& count, size_t sent) {
  while (count > 0 && sent >= iov->iov_len) {
    sent -= iov->iov_len;
    ++iov;
    --count;
  }
  if (count > 0) {
    iov->iov_base = static_cast<char*>(iov->iov_base) + sent;
    iov->iov_len -= sent;
  }
}

}  // namespace llmp::host::http
