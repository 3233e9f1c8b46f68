"""A Unix-domain datagram peer written with Python's `socket` module, driven by dgram's tests.

    python3 unix_peer.py recv PATH
        bind PATH with SO_PASSCRED, print "ready", receive one datagram with its descriptors and
        credentials, print "got HEX fds N cred PID UID GID", write "from python" through every received
        descriptor, exit.
    python3 unix_peer.py send PATH HEX
        send HEX to PATH with the write end of a new pipe (SCM_RIGHTS) and this process's credentials
        (SCM_CREDENTIALS), print "sent pid PID", then print "pipe said TEXT" with what came through the
        pipe once every write end is closed.
    python3 unix_peer.py pidfd-socket PATH N     (PATH "@name": an abstract name)
        make a socket pair, switch SO_PASSPIDFD (Linux 6.5) on one end, send that end to PATH
        (SCM_RIGHTS), queue N datagrams "pidfd I" on it from the other end, print "sent N"; or print
        "unsupported ERROR" when the kernel lacks the option (ENOPROTOOPT; any other error fails).
"""
import array
import errno
import os
import socket
import struct
import sys

mode, path = sys.argv[1], sys.argv[2]
if path.startswith("@"):  # an abstract name, as dgram writes it (argv cannot hold its NUL)
    path = "\0" + path[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(10)

if mode == "recv":
    s.bind(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    print("ready", flush=True)
    fd_space = socket.CMSG_SPACE(16 * array.array("i").itemsize)
    cred_space = socket.CMSG_SPACE(struct.calcsize("3i"))
    data, anc, flags, addr = s.recvmsg(65536, fd_space + cred_space)
    fds, cred = [], None
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(payload[: len(payload) - len(payload) % a.itemsize])
            fds.extend(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            cred = struct.unpack("3i", payload[:12])
    print(f"got {data.hex()} fds {len(fds)} cred {cred[0]} {cred[1]} {cred[2]}", flush=True)
    for fd in fds:
        os.write(fd, b"from python")
        os.close(fd)
elif mode == "send":
    r, w = os.pipe()
    cred = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    s.sendmsg(
        [bytes.fromhex(sys.argv[3])],
        [
            (socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [w]).tobytes()),
            (socket.SOL_SOCKET, socket.SCM_CREDENTIALS, cred),
        ],
        0,
        path,
    )
    os.close(w)
    print(f"sent pid {os.getpid()}", flush=True)
    chunks = []
    while True:
        b = os.read(r, 4096)
        if not b:
            break
        chunks.append(b)
    print(f"pipe said {b''.join(chunks).decode()}", flush=True)
elif mode == "pidfd-socket":
    SO_PASSPIDFD = 76  # asm-generic; Python 3.11's socket module does not name it
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        theirs.setsockopt(socket.SOL_SOCKET, SO_PASSPIDFD, 1)
    except OSError as e:
        if e.errno != errno.ENOPROTOOPT:
            raise
        print(f"unsupported {e}", flush=True)
        sys.exit(0)
    rights = array.array("i", [theirs.fileno()]).tobytes()
    s.sendmsg([b"socket"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, rights)], 0, path)
    n = int(sys.argv[3])
    for i in range(n):
        mine.send(f"pidfd {i}".encode())
    print(f"sent {n}", flush=True)
else:
    sys.exit(f"unknown mode {mode}")
s.close()
