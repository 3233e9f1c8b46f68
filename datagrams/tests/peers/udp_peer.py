"""A UDP peer written with Python's `socket` module, driven by dgram's tests.

    python3 udp_peer.py echo    udp4|udp6            bind loopback:0, print "port N", echo one datagram,
                                                     print "got HEX from ADDR PORT", exit
    python3 udp_peer.py send    udp4|udp6 PORT HEX   send one datagram to loopback:PORT, print "sent from N"
    python3 udp_peer.py request udp4|udp6 PORT HEX   send, wait for one reply (5 s), print "reply HEX from PORT"
"""
import socket
import sys

mode, kind = sys.argv[1], sys.argv[2]
family, host = (socket.AF_INET6, "::1") if kind == "udp6" else (socket.AF_INET, "127.0.0.1")
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(10)
s.bind((host, 0))
port = s.getsockname()[1]

if mode == "echo":
    print(f"port {port}", flush=True)
    data, addr = s.recvfrom(65535)
    print(f"got {data.hex()} from {addr[0]} {addr[1]}", flush=True)
    s.sendto(data, addr)
elif mode in ("send", "request"):
    s.sendto(bytes.fromhex(sys.argv[4]), (host, int(sys.argv[3])))
    print(f"sent from {port}", flush=True)
    if mode == "request":
        data, addr = s.recvfrom(65535)
        print(f"reply {data.hex()} from {addr[1]}", flush=True)
else:
    sys.exit(f"unknown mode {mode}")
s.close()
