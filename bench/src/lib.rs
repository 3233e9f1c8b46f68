//! Measurement of the `datagrams` crate, kept outside it: this library holds the raw-syscall loops
//! (the kernel's limit) that the `dgram-bench` binary, the criterion benches and the examples of
//! this package compare datagrams with. Unpublished; nothing here is datagrams' API.
#![cfg(target_os = "linux")]

pub mod sys;
