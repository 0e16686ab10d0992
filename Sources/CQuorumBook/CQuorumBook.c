// CQuorumBook is header-only (static inline shims in include/CQuorumBook.h); SwiftPM needs one
// source file per C target.
#include "CQuorumBook.h"
