#!/usr/bin/env python3
"""Drives a Redis-protocol server with redis-py and checks every reply against a model.

Run by Tests/LSMToolsTests/Serve/RedisPyTests.swift, which starts and restarts the server; each subcommand is one
phase of a test:

  model         random commands, single and pipelined, against a dict model, with whole-database checks; the
                model can be saved (--state-out) and checked against a restarted server (--state-in)
  auth          a server started with --requirepass: refused without the password, served with it
  crash-writer  writers on several connections until N writes are acknowledged, then SIGKILL to the server
  crash-verify  after the restart: every acknowledged write is there

With --nodes NAME=PORT,..., --port is a twemproxy's (nutcracker) in front of those servers, named as in its
configuration: the clients speak what the proxy forwards (RESP2, no CLIENT SETINFO), the model leaves out the
commands it refuses, and the whole-database checks read the nodes directly, where each key must be on the node the
proxy's ring gives it. Phases for a proxy only:

  spread        N keys written through the proxy with MSET: each node holds about its share of the ring
  grown         after a node was added to the proxy's list (--before: the names before): the keys written by
                spread read back where the ring kept their node, and are missing (on their old node) where it moved

Exit status 0 when every check passed; otherwise the seed, the last commands and the failure are printed.
"""

import argparse
import inspect
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections import deque

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from twemproxy import Ring

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Redis's integer syntax (string2ll): no sign but '-', no leading zero, no spaces, no "-0".
INTEGER = re.compile(rb"-?[1-9][0-9]*|0")


class CheckFailed(Exception):
    pass


def connect(args, protocol, password=None, port=None):
    """A client of the server on args.port, or on `port`. A twemproxy (--nodes) closes the connection on HELLO and
    on CLIENT SETINFO, which redis-py sends on connecting from version 5 on unless told not to: its clients speak
    RESP2 and leave it out."""
    options = {}
    if args.nodes and port is None:
        if protocol != 2:
            raise CheckFailed("a twemproxy speaks RESP2 only: run with --protocol 2")
        # redis-py 8 takes driver_info=None; 5 to 7 took lib_name and lib_version (deprecated in 8).
        if "driver_info" in inspect.signature(redis.Redis.__init__).parameters:
            options["driver_info"] = None
        else:
            options.update(lib_name=None, lib_version=None)
    # No retries: a command must reach the server once, or fail visibly.
    return redis.Redis(
        host="127.0.0.1",
        port=port or args.port,
        password=password,
        protocol=protocol,
        socket_timeout=20,
        socket_connect_timeout=10,
        retry=Retry(NoBackoff(), 0),
        **options,
    )


class ProxiedNodes:
    """The servers behind a twemproxy (--nodes), reached directly: which keys each holds, each checked against the
    ring that places it, and how many."""

    def __init__(self, args):
        pairs = [item.split("=") for item in args.nodes.split(",")]
        self.ring = Ring([name for name, _ in pairs])
        self.clients = {name: connect(args, 3, args.password, port=int(port)) for name, port in pairs}

    def keys(self, count):
        """Every key of every node, by SCAN COUNT `count`."""
        found = set()
        for name, client in self.clients.items():
            for key in client.scan_iter(count=count):
                if self.ring.node(key) != name:
                    raise CheckFailed("%s is on %s; the proxy's ring puts it on %s" % (show(key), name,
                                                                                       self.ring.node(key)))
                found.add(key)
        return found

    def dbsize(self):
        return sum(client.dbsize() for client in self.clients.values())


def show(value, limit=40):
    """A short repr for messages: long byte strings are cut."""
    if isinstance(value, bytes) and len(value) > limit:
        return "%r...(%d bytes)" % (value[:limit], len(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v, limit) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (show(k, limit), show(v, limit)) for k, v in value.items()) + "}"
    return repr(value)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed("%s: got %s, expected %s" % (what, show(actual), show(expected)))


# Expected replies that are not plain values.


class Error:
    """An error reply whose message contains `text`."""

    def __init__(self, text):
        self.text = text

    def matches(self, actual):
        return isinstance(actual, redis.exceptions.ResponseError) and self.text in str(actual)

    def __repr__(self):
        return "error containing %r" % self.text


class TTL:
    """TTL's reply for a key that expires: at most the seconds it was given, and not negative."""

    def __init__(self, seconds):
        self.seconds = seconds

    def matches(self, actual):
        return isinstance(actual, int) and not isinstance(actual, bool) and 0 <= actual <= self.seconds

    def __repr__(self):
        return "a TTL in 0...%d" % self.seconds


def matches(actual, expected):
    if isinstance(expected, (Error, TTL)):
        return expected.matches(actual)
    # bool is an int in Python: True == 1 would hide a reply of the wrong kind.
    return type(actual) is type(expected) and actual == expected


class Model:
    """What the server should hold: values, and for keys that expire the seconds they were given (every expiry in
    these tests is far longer than a run, so no key of the model expires while it is checked)."""

    def __init__(self):
        self.values = {}
        self.ttls = {}

    def save(self, path):
        with open(path, "w") as file:
            json.dump(
                {
                    "values": {k.hex(): v.hex() for k, v in self.values.items()},
                    "ttls": {k.hex(): s for k, s in self.ttls.items()},
                },
                file,
            )

    @staticmethod
    def load(path):
        with open(path) as file:
            state = json.load(file)
        model = Model()
        model.values = {bytes.fromhex(k): bytes.fromhex(v) for k, v in state["values"].items()}
        model.ttls = {bytes.fromhex(k): s for k, s in state["ttls"].items()}
        return model

    def put(self, key, value, ttl=None):
        self.values[key] = value
        if ttl is None:
            self.ttls.pop(key, None)
        else:
            self.ttls[key] = ttl

    def remove(self, key):
        self.values.pop(key, None)
        self.ttls.pop(key, None)

    def ttl_reply(self, key):
        if key not in self.values:
            return -2
        return TTL(self.ttls[key]) if key in self.ttls else -1


class Workload:
    """Random commands: each is (method, arguments, keyword arguments, expected reply), and the model is updated as
    the command will change the server."""

    def __init__(self, rng, model, proxied=False):
        self.rng = rng
        self.model = model
        self.proxied = proxied
        # A twemproxy closes the connection on RENAME (its two keys may be on two nodes) and DBSIZE (22, the last).
        self.choices = [choice for choice in range(23) if not (proxied and choice in (20, 22))]
        every_byte = bytes(range(256))
        self.keys = [b"k%d" % i for i in range(24)] + [
            every_byte,
            b"",
            b"\x00",
            b"\r\n",
            b"a key with spaces",
            b"\xff\xfe\x80",
            b"*1\r\n$4\r\nPING\r\n",
        ]
        self.keys += [rng.randbytes(rng.randint(1, 40)) for _ in range(6)]

    def key(self):
        return self.rng.choice(self.keys)

    def value(self):
        rng = self.rng
        kind = rng.random()
        if kind < 0.30:
            return b"%d" % rng.randint(-1000, 1000)
        if kind < 0.35:
            return b"%d" % rng.choice([INT64_MAX, INT64_MIN, INT64_MAX - 5, INT64_MIN + 5])
        if kind < 0.40:
            # Not integers to Redis, though some parsers would take them.
            return rng.choice([b"01", b" 1", b"1 ", b"+1", b"-0", b"1e3", b"0x10", b"99999999999999999999", b""])
        if kind < 0.45:
            every_byte = bytearray(range(256))
            rng.shuffle(every_byte)
            return bytes(every_byte)
        if kind < 0.46:
            return rng.randbytes(rng.randint(100_000, 300_000))
        return rng.randbytes(rng.randint(0, 64))

    def expiry(self):
        """SET's expiry options and the TTL bound they give: far beyond any run."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            seconds = rng.randint(1000, 100_000)
            return {"ex": seconds}, seconds
        if kind < 0.25:
            milliseconds = rng.randint(1_000_000, 100_000_000)
            return {"px": milliseconds}, -(-milliseconds // 1000)
        return {}, None

    def integer_reply(self, key, amount):
        """INCRBY's reply, updating the model: the new value, or the error Redis gives."""
        old = self.model.values.get(key, b"0")
        if not INTEGER.fullmatch(old) or not INT64_MIN <= int(old) <= INT64_MAX:
            return Error("value is not an integer or out of range")
        new = int(old) + amount
        if not INT64_MIN <= new <= INT64_MAX:
            return Error("increment or decrement would overflow")
        # INCR keeps the key's expiry.
        self.model.values[key] = b"%d" % new
        return new

    def command(self):
        rng, model = self.rng, self.model
        values = model.values
        choice = rng.choice(self.choices)
        key = self.key()
        if choice <= 3:
            value = self.value()
            options, ttl = self.expiry()
            condition = rng.choice([None, None, "nx", "xx"])
            if condition:
                options[condition] = True
            get = rng.random() < 0.3
            if get:
                options["get"] = True
            applies = condition is None or (condition == "nx") == (key not in values)
            expected = values.get(key) if get else (True if applies else None)
            if applies:
                model.put(key, value, ttl)
            return "set", (key, value), options, expected
        if choice <= 6:
            return "get", (key,), {}, values.get(key)
        if choice == 7:
            keys = [self.key() for _ in range(rng.randint(1, 4))]
            deleted = 0
            for k in keys:
                if k in values:
                    deleted += 1
                    model.remove(k)
            return "delete", keys, {}, deleted
        if choice == 8:
            # twemproxy 0.5.0 sends an EXISTS of several keys whole to the first key's node.
            keys = [self.key() for _ in range(1 if self.proxied else rng.randint(1, 4))]
            return "exists", keys, {}, sum(k in values for k in keys)
        if choice == 9:
            return "execute_command", ("INCR", key), {}, self.integer_reply(key, 1)
        if choice == 10:
            return "execute_command", ("DECR", key), {}, self.integer_reply(key, -1)
        if choice == 11:
            amount = rng.choice([rng.randint(-1000, 1000), INT64_MAX, INT64_MIN + 1])
            return "incrby", (key, amount), {}, self.integer_reply(key, amount)
        if choice == 12:
            value = self.value()
            # APPEND keeps the key's expiry.
            values[key] = values.get(key, b"") + value
            return "append", (key, value), {}, len(values[key])
        if choice == 13:
            return "strlen", (key,), {}, len(values.get(key, b""))
        if choice == 14:
            mapping = {self.key(): self.value() for _ in range(rng.randint(1, 5))}
            for k, v in mapping.items():
                model.put(k, v)
            return "mset", (mapping,), {}, True
        if choice == 15:
            keys = [self.key() for _ in range(rng.randint(1, 6))]
            return "mget", (keys,), {}, [values.get(k) for k in keys]
        if choice == 16:
            value = self.value()
            expected = values.get(key)
            model.put(key, value)
            return "getset", (key, value), {}, expected
        if choice == 17:
            expected = values.get(key)
            model.remove(key)
            return "getdel", (key,), {}, expected
        if choice == 18:
            value = self.value()
            applies = key not in values
            if applies:
                model.put(key, value)
            return "setnx", (key, value), {}, applies
        if choice == 19:
            kind = rng.random()
            if kind < 0.5:
                seconds = rng.randint(1000, 100_000)
                exists = key in values
                if exists:
                    model.ttls[key] = seconds
                return "expire", (key, seconds), {}, exists
            if kind < 0.55:
                # A time not in the future deletes the key.
                exists = key in values
                model.remove(key)
                return "expire", (key, rng.choice([0, -5])), {}, exists
            if kind < 0.8:
                had = key in model.ttls
                model.ttls.pop(key, None)
                return "persist", (key,), {}, had
            return "ttl", (key,), {}, model.ttl_reply(key)
        if choice == 20:
            target = self.key()
            if key not in values:
                return "rename", (key, target), {}, Error("no such key")
            if key != target:
                value, ttl = values[key], model.ttls.get(key)
                model.remove(key)
                model.put(target, value, ttl)
            return "rename", (key, target), {}, True
        if choice == 21:
            return "type", (key,), {}, b"string" if key in values else b"none"
        return "dbsize", (), {}, len(values)


class Runner:
    """Sends commands, keeps the last ones for the failure report, and checks the whole database."""

    def __init__(self, client, model, history, nodes=None):
        self.client = client
        self.model = model
        self.history = history
        # The servers behind the proxy that `client` reaches, or None.
        self.nodes = nodes

    def single(self, command):
        method, arguments, options, expected = command
        self.history.append((method, arguments, options))
        try:
            actual = getattr(self.client, method)(*arguments, **options)
        except redis.exceptions.ResponseError as error:
            actual = error
        if not matches(actual, expected):
            raise CheckFailed(
                "%s%s %s: got %s, expected %s" % (method, show(list(arguments)), show(options), show(actual),
                                                  show(expected))
            )

    def pipeline(self, commands):
        pipe = self.client.pipeline(transaction=False)
        for method, arguments, options, _ in commands:
            self.history.append(("pipelined " + method, arguments, options))
            getattr(pipe, method)(*arguments, **options)
        replies = pipe.execute(raise_on_error=False)
        expect_equal(len(replies), len(commands), "pipeline reply count")
        for index, (reply, (method, arguments, options, expected)) in enumerate(zip(replies, commands)):
            if not matches(reply, expected):
                raise CheckFailed(
                    "pipeline of %d, command %d, %s%s %s: got %s, expected %s"
                    % (len(commands), index, method, show(list(arguments)), show(options), show(reply),
                       show(expected))
                )

    def scan(self, count):
        self.history.append(("scan_iter", (), {"count": count}))
        found = self.nodes.keys(count) if self.nodes else set(self.client.scan_iter(count=count))
        # SCAN may return a key more than once, never one that is not there, and every key there all along.
        if found != set(self.model.values):
            raise CheckFailed("SCAN COUNT %d: keys missing %s, keys not in the model %s" % (
                count, show(sorted(set(self.model.values) - found)), show(sorted(found - set(self.model.values)))))

    def check_everything(self):
        """The server holds exactly the model: keys (by SCAN), values, expiries and the count."""
        self.scan(1000)
        keys = list(self.model.values)
        self.history.append(("check everything", (), {}))
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.get(key)
            pipe.ttl(key)
        if not self.nodes:
            pipe.dbsize()
        replies = pipe.execute()
        for index, key in enumerate(keys):
            expect_equal(replies[2 * index], self.model.values[key], "GET %s" % show(key))
            expected_ttl = self.model.ttl_reply(key)
            if not matches(replies[2 * index + 1], expected_ttl):
                raise CheckFailed("TTL %s: got %r, expected %r" % (show(key), replies[2 * index + 1], expected_ttl))
        expect_equal(self.nodes.dbsize() if self.nodes else replies[-1], len(keys), "DBSIZE")

    def flushdb(self):
        """FLUSHDB, which a proxy refuses: then on each node."""
        self.history.append(("flushdb", (), {}))
        for client in self.nodes.clients.values() if self.nodes else [self.client]:
            expect_equal(client.flushdb(), True, "FLUSHDB")
        self.model.values.clear()
        self.model.ttls.clear()


def run_model(args, client, model, rng, history, nodes=None):
    runner = Runner(client, model, history, nodes)
    workload = Workload(rng, model, proxied=nodes is not None)
    runner.check_everything()
    for step in range(args.ops):
        kind = rng.random()
        if kind < 0.08:
            runner.pipeline([workload.command() for _ in range(rng.randint(1, 40))])
        elif kind < 0.10:
            runner.scan(rng.choice([1, 3, 10, 100]))
        elif kind < 0.102:
            runner.flushdb()
        else:
            runner.single(workload.command())
        if step % 1000 == 999:
            runner.check_everything()
    runner.check_everything()


def check_edges(client, history, proxied=False):
    """Fixed checks: a short expiry passes, and errors for wrong use; where a proxy refuses the command (a wrong
    arity it knows, a command it does not), it closes the connection instead."""
    key = b"edge:expiring"
    history.append(("short expiry", (key,), {}))
    expect_equal(client.set(key, b"soon gone", px=50), True, "SET PX 50")
    time.sleep(0.3)
    expect_equal(client.get(key), None, "GET of a key 250 ms past its expiry")
    expect_equal(client.exists(key), 0, "EXISTS of an expired key")
    expect_equal(client.ttl(key), -2, "TTL of an expired key")
    expect_equal(client.delete(key), 0, "DEL of an expired key")
    for command, text, refused_by_proxy in [
        (("GET",), "wrong number of arguments", True),
        (("SET", "k"), "wrong number of arguments", False),
        (("NOSUCHCOMMAND", "x"), "unknown command", True),
        (("SET", "k", "v", "EX", "0"), "invalid expire time", False),
        (("SET", "k", "v", "EX", "soon"), "not an integer", False),
        (("SET", "k", "v", "NX", "XX"), "syntax error", False),
        (("INCRBY", "k", "one"), "not an integer", False),
    ]:
        history.append(("execute_command", command, {}))
        try:
            reply = client.execute_command(*command)
        except redis.exceptions.ConnectionError:
            if proxied and refused_by_proxy:
                continue
            raise
        except redis.exceptions.ResponseError as error:
            if text not in str(error):
                raise CheckFailed("%s: got error %r, expected one containing %r" % (" ".join(command), str(error),
                                                                                   text))
        else:
            raise CheckFailed("%s: got %s, expected an error containing %r" % (" ".join(command), show(reply), text))
        if proxied and refused_by_proxy:
            raise CheckFailed("%s: the proxy forwarded it, expected it to close the connection" % " ".join(command))


def model_command(args, rng, history):
    model = Model.load(args.state_in) if args.state_in else Model()
    client = connect(args, args.protocol, args.password)
    hello = client.connection_pool.get_connection()
    # redis-py negotiates RESP3 with HELLO 3; make sure it did, or the RESP3 run would be a RESP2 run.
    expect_equal(hello.protocol, args.protocol, "the connection's protocol")
    client.connection_pool.release(hello)
    nodes = ProxiedNodes(args) if args.nodes else None
    run_model(args, client, model, rng, history, nodes)
    check_edges(client, history, proxied=nodes is not None)
    if args.state_out:
        model.save(args.state_out)
    print("model: %d commands, %d keys at the end" % (args.ops, len(model.values)))


def read_reply_line(sock):
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            raise CheckFailed("the connection closed after %r" % data)
        data += chunk
    return data


def auth_command(args, rng, history):
    password = args.password
    # On the wire: the error code itself, which redis-py turns into an exception class.
    history.append(("raw socket", (), {}))
    with socket.create_connection(("127.0.0.1", args.port), timeout=20) as sock:
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        reply = read_reply_line(sock)
        if not reply.startswith(b"-NOAUTH"):
            raise CheckFailed("GET before AUTH: got %r, expected an error starting with NOAUTH" % reply)
        wrong = password.encode() + b"x"
        sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(wrong), wrong))
        reply = read_reply_line(sock)
        if not reply.startswith(b"-WRONGPASS"):
            raise CheckFailed("AUTH with a wrong password: got %r, expected an error starting with WRONGPASS" % reply)
        right = password.encode()
        sock.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(right), right))
        expect_equal(read_reply_line(sock), b"+OK\r\n", "AUTH with the password")
        sock.sendall(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        expect_equal(read_reply_line(sock), b"$-1\r\n", "GET after AUTH")

    for protocol in (2, 3):
        for given, code in ((None, "NOAUTH"), (password + "x", "WRONGPASS")):
            history.append(("GET with password %r" % given, (), {"protocol": protocol}))
            try:
                reply = connect(args, protocol, given).get(b"k")
            except redis.exceptions.AuthenticationError as error:
                expect_equal(getattr(error, "status_code", code), code, "error code, RESP%d" % protocol)
            else:
                raise CheckFailed("GET with password %r, RESP%d: got %s, expected an authentication error"
                                  % (given, protocol, show(reply)))
        history.append(("SET and GET with the password", (), {"protocol": protocol}))
        client = connect(args, protocol, password)
        expect_equal(client.set(b"k%d" % protocol, b"v"), True, "SET with the password, RESP%d" % protocol)
        expect_equal(client.get(b"k%d" % protocol), b"v", "GET with the password, RESP%d" % protocol)
        expect_equal(client.delete(b"k%d" % protocol), 1, "DEL with the password, RESP%d" % protocol)

    # The whole workload, authenticated.
    run_model(args, connect(args, 3, password), Model(), rng, history)
    print("auth: refused without the password, served with it")


def crash_writer_command(args, rng, history):
    """Writers, each on its connection and its own keys, write until args.acks writes were acknowledged in all;
    then the server gets SIGKILL with writes in flight. The journal says, for each key, the last acknowledged value
    and the ones a write in flight when the server died would leave. Through a proxy, the server is one of its
    nodes, and the proxy answers a write it had sent there with an error reply."""
    lock = threading.Lock()
    acknowledged = [0]
    stop = threading.Event()
    killed = threading.Event()
    journal = {"keys": {}, "groups": []}
    failures = []

    def writer(index, seed):
        local = random.Random(seed)
        client = connect(args, args.protocol)
        keys = [b"crash:%d:%d" % (index, i) for i in range(40)]
        counter = b"crash:%d:counter" % index
        acked = {key: None for key in keys + [counter]}
        pending = {}
        group = None
        sequence = 0
        try:
            while not stop.is_set() and sequence < 1_000_000:
                sequence += 1
                kind = local.random()
                if kind < 0.1:
                    count = int(acked[counter] or b"0") + 1
                    pending = {counter: b"%d" % count}
                    expect_equal(client.execute_command("INCR", counter), count, "INCR %s" % show(counter))
                elif kind < 0.2:
                    key = local.choice(keys)
                    pending = {key: None}
                    expect_equal(client.delete(key), int(acked[key] is not None), "DEL %s" % show(key))
                elif kind < 0.3:
                    group = local.sample(keys, 3)
                    pending = {key: b"%d:%d:%s" % (index, sequence, key) for key in group}
                    expect_equal(client.mset(pending), True, "MSET")
                else:
                    key = local.choice(keys)
                    pending = {key: b"%d:%d:" % (index, sequence) + local.randbytes(local.randint(0, 200))}
                    expect_equal(client.set(key, pending[key]), True, "SET %s" % show(key))
                acked.update(pending)
                pending, group = {}, None
                with lock:
                    acknowledged[0] += 1
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            pass  # the server was killed: what was pending stays pending
        except redis.exceptions.ResponseError as error:
            if not (args.nodes and killed.is_set()):
                failures.append("writer %d: %s: %s" % (index, type(error).__name__, error))
                stop.set()
        except Exception as error:  # anything else is a failure of the server
            failures.append("writer %d: %s: %s" % (index, type(error).__name__, error))
            stop.set()
        with lock:
            for key, value in acked.items():
                journal["keys"][key.hex()] = {
                    "acked": value.hex() if value is not None else None,
                    "pending": [pending[key].hex() if pending[key] is not None else None] if key in pending else [],
                }
            if group:
                journal["groups"].append({key.hex(): pending[key].hex() for key in group})

    threads = [threading.Thread(target=writer, args=(index, rng.random())) for index in range(args.writers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not stop.is_set():
        with lock:
            if acknowledged[0] >= args.acks:
                break
        time.sleep(0.001)
    with lock:
        killed_after = acknowledged[0]
    killed.set()
    os.kill(args.server_pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(30)
    if failures:
        raise CheckFailed("; ".join(failures))
    if killed_after < args.acks:
        raise CheckFailed("only %d writes were acknowledged in 60 s" % killed_after)
    with open(args.journal, "w") as file:
        json.dump(journal, file)
    print("crash-writer: SIGKILL after %d acknowledged writes" % killed_after)


def crash_verify_command(args, rng, history):
    with open(args.journal) as file:
        journal = json.load(file)
    client = connect(args, args.protocol)
    keys = [bytes.fromhex(k) for k in journal["keys"]]
    actual = dict(zip(keys, client.mget(keys)))
    history.append(("MGET of every written key", (), {}))
    for key in keys:
        entry = journal["keys"][key.hex()]
        allowed = [bytes.fromhex(v) if v is not None else None for v in [entry["acked"]] + entry["pending"]]
        if actual[key] not in allowed:
            raise CheckFailed("%s after the crash: got %s, expected the acknowledged %s%s" % (
                show(key), show(actual[key]), show(allowed[0]),
                " or the one in flight, %s" % show(allowed[1]) if len(allowed) > 1 else ""))
    # A proxy splits an MSET into one per node, each applied or not on its own.
    ring = Ring([item.split("=")[0] for item in args.nodes.split(",")]) if args.nodes else None
    for group in journal["groups"]:
        parts = {}
        for k, v in group.items():
            key = bytes.fromhex(k)
            parts.setdefault(ring.node(key) if ring else None, []).append(actual[key] == bytes.fromhex(v))
        # An MSET in flight: all of its keys or none (of each node's part).
        for written in parts.values():
            if any(written) and not all(written):
                raise CheckFailed("an MSET in flight when the server died was half applied: %s" % show(
                    {bytes.fromhex(k): actual[bytes.fromhex(k)] for k in group}))
    print("crash-verify: %d keys as acknowledged" % len(keys))


def spread_keys(args):
    """The keys spread writes, each with its value."""
    return {b"spread:%d" % i: b"value of spread:%d" % i for i in range(args.keys)}


def read_through(client, keys, history):
    """The values of `keys` by MGETs of 100 keys, which the proxy splits per node."""
    values = []
    for start in range(0, len(keys), 100):
        history.append(("mget", (keys[start], "... %d keys" % len(keys[start:start + 100])), {}))
        values += client.mget(keys[start:start + 100])
    return values


def spread_command(args, rng, history):
    """args.keys keys written through the proxy by MSETs of 100 keys, which it splits per node: they read back; each
    is on the node the ring gives it; the nodes' DBSIZEs add up to their number; each node holds its share of the
    ring's hash space within 0.05."""
    nodes = ProxiedNodes(args)
    client = connect(args, 2, args.password)
    written = spread_keys(args)
    keys = list(written)
    for start in range(0, len(keys), 100):
        batch = keys[start:start + 100]
        history.append(("mset", (batch[0], "... %d keys" % len(batch)), {}))
        expect_equal(client.mset({key: written[key] for key in batch}), True, "MSET of %d keys" % len(batch))
    expect_equal(read_through(client, keys, history), list(written.values()), "the values read back")
    history.append(("scan every node", (), {}))
    found = nodes.keys(1000)
    if found != set(keys):
        raise CheckFailed("keys missing on the nodes %s, keys not written %s" % (
            show(sorted(set(keys) - found)[:10]), show(sorted(found - set(keys))[:10])))
    expect_equal(nodes.dbsize(), len(keys), "the nodes' DBSIZEs added up")
    counts = {name: node.dbsize() for name, node in nodes.clients.items()}
    shares = nodes.ring.shares()
    for name, count in counts.items():
        if abs(count / len(keys) - shares[name]) > 0.05:
            raise CheckFailed("%s holds %d of %d keys; its share of the ring is %.3f" % (name, count, len(keys),
                                                                                        shares[name]))
    print("spread: %s" % ", ".join("%s %d keys (ring share %.3f)" % (name, count, shares[name])
                                   for name, count in counts.items()))


def grown_command(args, rng, history):
    """After nodes joined the proxy's list (args.before: the names before): the keys spread wrote read back where
    the ring kept their node; the ones it moved, each to a new node, read as missing (their values stay on the
    node they were on); they are about the new nodes' share of the ring."""
    before = Ring(args.before.split(","))
    nodes = ProxiedNodes(args)
    client = connect(args, 2, args.password)
    written = spread_keys(args)
    moved = 0
    for (key, value), reply in zip(written.items(), read_through(client, list(written), history)):
        old, new = before.node(key), nodes.ring.node(key)
        if old == new:
            expect_equal(reply, value, "GET %s, which stayed on %s" % (show(key), old))
            continue
        if new in before.names:
            raise CheckFailed("%s moved from %s to %s, which was there before" % (show(key), old, new))
        expect_equal(reply, None, "GET %s, which moved from %s to %s" % (show(key), old, new))
        moved += 1
    share = sum(part for name, part in nodes.ring.shares().items() if name not in before.names)
    if abs(moved / len(written) - share) > 0.05:
        raise CheckFailed("%d of %d keys moved; the new nodes' share of the ring is %.3f" % (moved, len(written),
                                                                                          share))
    print("grown: %d of %d keys moved to the new nodes (their share of the ring: %.3f)" % (moved, len(written),
                                                                                          share))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", choices=["model", "auth", "crash-writer", "crash-verify", "spread", "grown"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    parser.add_argument("--protocol", type=int, choices=[2, 3], default=3)
    parser.add_argument("--password")
    parser.add_argument("--ops", type=int, default=3000)
    parser.add_argument("--state-in")
    parser.add_argument("--state-out")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--acks", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--journal")
    parser.add_argument("--nodes", help="NAME=PORT,...: the servers behind the proxy on --port")
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--before", help="NAME,...: the proxy's servers before the grown phase")
    args = parser.parse_args()
    if args.phase in ("spread", "grown") and not args.nodes:
        parser.error("%s needs --nodes" % args.phase)

    rng = random.Random(args.seed)
    history = deque(maxlen=30)
    phase = {
        "model": model_command,
        "auth": auth_command,
        "crash-writer": crash_writer_command,
        "crash-verify": crash_verify_command,
        "spread": spread_command,
        "grown": grown_command,
    }[args.phase]
    try:
        phase(args, rng, history)
    except Exception as error:
        print("FAILED: %s %s, redis-py %s, seed %d" % (args.phase, " ".join(sys.argv[2:]), redis.__version__,
                                                       args.seed))
        print("last commands, oldest first:")
        for method, arguments, options in history:
            print("  %s%s %s" % (method, show(list(arguments), 24), show(options, 24)))
        if isinstance(error, CheckFailed):
            print("failure: %s" % error)
        else:
            traceback.print_exc(file=sys.stdout)
        sys.exit(1)


if __name__ == "__main__":
    main()
