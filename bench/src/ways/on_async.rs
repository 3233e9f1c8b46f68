//! The async ways' calls, written out once for the lockstep and the threaded harness: the way is
//! matched once around a loop, not once per call (see `on_async_way!`). The macros name what they
//! use by its full path, so they expand alike wherever they are called.

/// Awaits a receive; `WouldBlock` if it waits 20 ms (as the blocking receivers' read timeout). The
/// timer is armed only once the receive has to wait, so a receive that finds its datagram queued
/// pays nothing for it. A macro, not a function, so that the receive's future is pinned where it
/// is made, not moved into another future first (a copy of its state that a task awaiting the
/// receive directly would not make).
macro_rules! patiently {
    ($recv:expr) => {{
        let mut recv = std::pin::pin!($recv);
        match std::future::poll_fn(|cx| std::task::Poll::Ready(recv.as_mut().poll(cx))).await {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => {
                match tokio::time::timeout(std::time::Duration::from_millis(20), recv).await {
                    Ok(r) => r,
                    Err(_) => Err(std::io::Error::from(std::io::ErrorKind::WouldBlock)),
                }
            }
        }
    }};
}

/// `$body` with `send!()` and `recv!()` (see [`on_async_way!`]) as `send_to` and `recv_from` on
/// `$tx` and `$rx`: tokio's socket or dgram's.
macro_rules! send_to_recv_from {
    ($l:ident, $tx:ident, $rx:ident, $receiver:expr, $body:expr) => {{
        #[allow(unused_macros)] // a side calls one of the two
        macro_rules! send {
            () => {
                $tx.send_to(&$l.payload, $l.to).await.map(|_| 1u64)
            };
        }
        #[allow(unused_macros)] // a side calls one of the two
        macro_rules! recv {
            () => {
                patiently!($rx.recv_from(&mut $receiver.buf[..65_536]))
                    .map(|(n, _)| (1u64, n as u64))
            };
        }
        $body
    }};
}

/// Evaluates `$body`, in an async context, with `send!()` (one send: the datagrams handed to the
/// kernel, `io::Result<u64>`) and `recv!()` (one receive: datagrams and bytes,
/// `io::Result<(u64, u64)>`, `WouldBlock` after 20 ms of quiet) written out as the lane's async way
/// calls its sockets. The way is matched once, around the loop in `$body`, as a task serving one
/// kind of socket is written: a match inside an `async fn` called per operation would nest a future
/// per call (tens of instructions a step) that a blocking way, whose match is a jump, does not pay.
/// A side that does not call one of the two need not have the other's half (`$sender` or
/// `$receiver` is then never evaluated). A lane that is not async evaluates `$none`.
macro_rules! on_async_way {
    ($lane:expr, $sender:expr, $receiver:expr, $body:expr, $none:expr) => {{
        let l: &crate::ways::lane::Lane<'_> = $lane;
        match (l.tokio.as_ref().map(|p| &p.sockets), l.way) {
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(crate::ways::lane::AsyncSockets::Tokio { tx, rx }), _) => {
                send_to_recv_from!(l, tx, rx, $receiver, $body)
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (
                Some(crate::ways::lane::AsyncSockets::Dgram { tx, rx }),
                crate::ways::way::Way::DgramAsync,
            ) => {
                send_to_recv_from!(l, tx, rx, $receiver, $body)
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (
                Some(crate::ways::lane::AsyncSockets::Dgram { tx, rx }),
                crate::ways::way::Way::DgramBatchAsync,
            ) => {
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! send {
                    () => {
                        tx.send_batch(&$sender.batch).await.map(|n| n as u64)
                    };
                }
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! recv {
                    () => {{
                        let r = &mut *$receiver;
                        let mut chunks = r.buf.chunks_mut(l.size.max(64));
                        let mut bufs: [std::io::IoSliceMut<'_>; datagrams::MAX_BATCH] =
                            std::array::from_fn(|_| {
                                std::io::IoSliceMut::new(chunks.next().unwrap_or_default())
                            });
                        let meta = &mut r.meta;
                        patiently!(rx.recv_batch(&mut bufs, meta)).map(|n| {
                            (
                                n as u64,
                                meta[..n].iter().map(|m| m.len as u64).sum::<u64>(),
                            )
                        })
                    }};
                }
                $body
            }
            #[allow(unused_variables)] // a side uses one of the two sockets
            (Some(crate::ways::lane::AsyncSockets::Dgram { tx, rx }), _) => {
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! send {
                    () => {
                        tx.send_msg(&$sender.gso).await.map(|_| l.per_send as u64)
                    };
                }
                #[allow(unused_macros)] // a side calls one of the two
                macro_rules! recv {
                    () => {
                        patiently!(rx.recv_msg(&mut $receiver.buf[..65_536])).map(|m| {
                            (
                                m.len.div_ceil(m.stride.unwrap_or(m.len).max(1)) as u64,
                                m.len as u64,
                            )
                        })
                    };
                }
                $body
            }
            (None, _) => $none,
        }
    }};
}
