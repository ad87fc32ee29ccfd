//! Proof of when (issue #16, in progress): the captures of a run gathered under one Merkle
//! root ([`merkle`]), so a single RFC 3161 timestamp over that root covers every one of them and
//! a short path proves any single capture. The timestamp requests, the record and `prove` build
//! on this.

pub mod merkle;
