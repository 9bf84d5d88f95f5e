//! Change-safety rules for stream apps (filled in below).
