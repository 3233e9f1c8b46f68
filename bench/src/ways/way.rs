//! The ways of moving datagrams that the one-way workloads measure, and what each is compared with.

/// One way of sending and receiving, measured in the one-way workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Way {
    Std,
    Dgram,
    DgramBatch,
    /// `send_batch`/`recv_batch_without_senders`: the same work as the lengths-only raw loop.
    DgramBatchWithoutSenders,
    DgramBatchAsync,
    RawBatch,
    RawBatchSenders,
    DgramGso,
    /// GSO sends, GRO receives through `recv_batch_without_senders`: the same work as the
    /// lengths-only raw GSO loop.
    DgramGsoWithoutSenders,
    DgramGsoAsync,
    RawGso,
    RawGsoSenders,
    /// `send_batch` of `Transmit::connected` (no address) on a connected socket, `recv_batch`.
    DgramBatchConnected,
    /// The raw `sendmmsg` with no address on a connected socket, `recvmmsg` with senders.
    RawBatchConnected,
    /// GSO sends of `Transmit::connected` on a connected socket, GRO receives with senders.
    DgramGsoConnected,
    /// The raw `UDP_SEGMENT` send with no address on a connected socket, GRO with senders.
    RawGsoConnected,
    Quinn,
    /// `tokio::net::UdpSocket`'s `send_to`/`recv_from` (lockstep only: the threaded table measures
    /// it on a multi-thread runtime, as `dgram-bench --async` does).
    Tokio,
    /// dgram's async `send_to`/`recv_from`, compared with tokio's (lockstep only, as `Tokio`).
    DgramAsync,
}

impl Way {
    pub(crate) const ALL: [Way; 17] = [
        Way::Std,
        Way::Dgram,
        Way::DgramBatch,
        Way::DgramBatchWithoutSenders,
        Way::DgramBatchAsync,
        Way::RawBatch,
        Way::RawBatchSenders,
        Way::DgramGso,
        Way::DgramGsoWithoutSenders,
        Way::DgramGsoAsync,
        Way::RawGso,
        Way::RawGsoSenders,
        Way::DgramBatchConnected,
        Way::RawBatchConnected,
        Way::DgramGsoConnected,
        Way::RawGsoConnected,
        Way::Quinn,
    ];

    /// The ways `--lockstep` interleaves: all of [`ALL`](Self::ALL), and the async `send_to`
    /// pair.
    pub(crate) const LOCKSTEP: [Way; 19] = {
        let mut ways = [Way::Std; 19];
        let mut i = 0;
        while i < Way::ALL.len() {
            ways[i] = Way::ALL[i];
            i += 1;
        }
        ways[17] = Way::Tokio;
        ways[18] = Way::DgramAsync;
        ways
    };

    pub(crate) fn name(self) -> &'static str {
        match self {
            Way::Std => "std send_to/recv_from",
            Way::Dgram => "dgram send_to/recv_from",
            Way::DgramBatch => "dgram send_batch/recv_batch",
            Way::DgramBatchWithoutSenders => "dgram batch without senders",
            Way::DgramBatchAsync => "dgram tokio send/recv_batch",
            Way::RawBatch => "raw sendmmsg/recvmmsg",
            Way::RawBatchSenders => "raw sendmmsg/recvmmsg+senders",
            Way::DgramGso => "dgram GSO/GRO",
            Way::DgramGsoWithoutSenders => "dgram GSO/GRO without senders",
            Way::DgramGsoAsync => "dgram tokio GSO/GRO",
            Way::RawGso => "raw UDP_SEGMENT/UDP_GRO",
            Way::RawGsoSenders => "raw UDP_SEGMENT/GRO+senders",
            Way::DgramBatchConnected => "dgram batch, connected",
            Way::RawBatchConnected => "raw sendmmsg connected",
            Way::DgramGsoConnected => "dgram GSO/GRO, connected",
            Way::RawGsoConnected => "raw UDP_SEGMENT connected",
            Way::Quinn => "quinn-udp GSO/GRO",
            Way::Tokio => "tokio::net::UdpSocket",
            Way::DgramAsync => "dgram tokio UdpSocket",
        }
    }

    pub(crate) fn id(self) -> &'static str {
        match self {
            Way::Std => "std",
            Way::Dgram => "dgram",
            Way::DgramBatch => "dgram_batch",
            Way::DgramBatchWithoutSenders => "dgram_batch_without_senders",
            Way::DgramBatchAsync => "dgram_batch_async",
            Way::RawBatch => "raw_batch",
            Way::RawBatchSenders => "raw_batch_senders",
            Way::DgramGso => "dgram_gso",
            Way::DgramGsoWithoutSenders => "dgram_gso_without_senders",
            Way::DgramGsoAsync => "dgram_gso_async",
            Way::RawGso => "raw_gso",
            Way::RawGsoSenders => "raw_gso_senders",
            Way::DgramBatchConnected => "dgram_batch_connected",
            Way::RawBatchConnected => "raw_batch_connected",
            Way::DgramGsoConnected => "dgram_gso_connected",
            Way::RawGsoConnected => "raw_gso_connected",
            Way::Quinn => "quinn_udp",
            Way::Tokio => "tokio",
            Way::DgramAsync => "dgram_async",
        }
    }

    /// Whether this way sends with GSO (and receives with GRO).
    pub(super) fn is_gso(self) -> bool {
        matches!(
            self,
            Way::DgramGso
                | Way::DgramGsoWithoutSenders
                | Way::DgramGsoAsync
                | Way::RawGso
                | Way::RawGsoSenders
                | Way::DgramGsoConnected
                | Way::RawGsoConnected
                | Way::Quinn
        )
    }

    /// Whether this way sends on a connected socket, without an address.
    pub(super) fn is_connected(self) -> bool {
        matches!(
            self,
            Way::DgramBatchConnected
                | Way::RawBatchConnected
                | Way::DgramGsoConnected
                | Way::RawGsoConnected
        )
    }

    /// Whether this way runs on a tokio runtime.
    pub(super) fn is_async(self) -> bool {
        matches!(
            self,
            Way::DgramBatchAsync | Way::DgramGsoAsync | Way::Tokio | Way::DgramAsync
        )
    }

    /// Whether this way sends batches (`MAX_BATCH` datagrams a call).
    pub(super) fn is_batch(self) -> bool {
        matches!(
            self,
            Way::DgramBatch
                | Way::DgramBatchWithoutSenders
                | Way::DgramBatchAsync
                | Way::RawBatch
                | Way::RawBatchSenders
                | Way::DgramBatchConnected
                | Way::RawBatchConnected
        )
    }

    /// What this way's rate is compared with.
    pub(crate) fn baselines(self) -> &'static [Way] {
        match self {
            Way::Dgram => &[Way::Std],
            // Each against the raw loop that asks the kernel for the same: senders, or lengths only.
            Way::DgramBatch => &[Way::RawBatchSenders],
            Way::DgramBatchWithoutSenders => &[Way::RawBatch],
            Way::DgramBatchAsync => &[Way::DgramBatch],
            Way::DgramGsoAsync => &[Way::DgramGso],
            // Against the raw loop that asks the kernel for the same (senders, or lengths only), and
            // against quinn-udp, which asks for senders, and for ECN and destination cmsgs too.
            Way::DgramGso => &[Way::RawGsoSenders, Way::Quinn],
            Way::DgramGsoWithoutSenders => &[Way::RawGso, Way::Quinn],
            Way::DgramAsync => &[Way::Tokio],
            // On a connected socket, against the raw loops that send without an address too; GSO
            // also against quinn-udp, which names the destination in every send.
            Way::DgramBatchConnected => &[Way::RawBatchConnected],
            Way::DgramGsoConnected => &[Way::RawGsoConnected, Way::Quinn],
            // The kernel's own limit against quinn-udp (which asks for senders too): how far ahead
            // of quinn any user of these syscalls can be.
            Way::RawGsoSenders => &[Way::Quinn],
            _ => &[],
        }
    }
}

/// What one run of one way did.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Run {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    pub(crate) bytes: u64,
    pub(crate) secs: f64,
    /// The kernel's count of datagrams dropped for a full receive buffer (`SO_RXQ_OVFL`), in
    /// datagrams: the kernel counts a GSO send that it drops whole as one, so it is scaled by its
    /// segments.
    pub(crate) kernel_drops: u64,
    /// The turns it had in lockstep, each a quantum or more (0 when it ran alone): every way of a
    /// lockstep run has as many.
    pub(crate) turns: u64,
}

/// Segments per GSO send for a payload size: as many as fit 64 KiB, at most 64.
pub(super) fn gso_segments(size: usize) -> usize {
    (60_000 / size.max(1)).clamp(1, 64)
}
