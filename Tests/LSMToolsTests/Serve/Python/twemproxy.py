"""Where twemproxy (nutcracker 0.5.0) sends a key: its ketama ring over named servers with the md5 key hash,
computed as src/hashkit/nc_ketama.c and nc_md5.c do, so that a test can check that each key is on its node and say
which keys a change of the server list moves."""

import bisect
import hashlib
import math
import struct

POINTS_PER_SERVER = 160
POINTS_PER_HASH = 4


def float32(value):
    """`value` rounded to a C float, as the ring's point counts are computed."""
    return struct.unpack("f", struct.pack("f", value))[0]


def md5_hash(key):
    """twemproxy's "md5" key hash: the first four bytes of the key's MD5, little-endian."""
    return int.from_bytes(hashlib.md5(key).digest()[:4], "little")


class Ring:
    """The continuum of a pool whose servers, of weight 1, are all live, named `names`: the name after the weight in
    the YAML's server lines, which is what places a server on the ring, not its address."""

    def __init__(self, names):
        # Each server's points, as nutcracker computes them in floats: 160 (156 for 25 servers, by rounding).
        share = float32(1 / len(names))
        count = math.floor(float32(float32(float32(share * POINTS_PER_SERVER) / 4) * len(names))) * 4
        points = []
        for index, name in enumerate(names):
            for pointer in range(count // POINTS_PER_HASH):
                digest = hashlib.md5(b"%s-%d" % (name.encode(), pointer)).digest()
                for x in range(POINTS_PER_HASH):
                    points.append((int.from_bytes(digest[4 * x:4 * x + 4], "little"), index))
        points.sort()
        self.names = list(names)
        self.values = [value for value, _ in points]
        self.owners = [index for _, index in points]

    def node(self, key):
        """The name of the server that `key` (bytes) goes to."""
        if len(self.names) == 1:
            return self.names[0]
        # An empty key hashes to 0, not to the hash of no bytes.
        hash_value = md5_hash(key) if key else 0
        position = bisect.bisect_left(self.values, hash_value)
        return self.names[self.owners[position % len(self.values)]]

    def shares(self):
        """Each server's part of the hash space, by name: the arcs that end at its points."""
        shares = dict.fromkeys(self.names, 0)
        previous = 0
        for value, owner in zip(self.values, self.owners):
            shares[self.names[owner]] += value - previous
            previous = value
        # Hashes past the last point wrap around to the first.
        shares[self.names[self.owners[0]]] += 2**32 - previous
        return {name: part / 2**32 for name, part in shares.items()}
