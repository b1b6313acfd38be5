import Foundation
import Testing

extension ServeTests {
    /// Three `lsm serve` nodes behind twemproxy (nutcracker), all on loopback, as docs/SCALING.md sets them up:
    /// redis-py through the proxy against a model, keys where the proxy's ring puts them, redis-benchmark through
    /// it, and a node killed and restarted under `--appendfsync always` losing nothing acknowledged.
    @Suite struct ProxyTests {
        @Test(.needs(.nutcracker, .python3WithRedis))
        func redisPyThroughTheProxyMatchesTheModel() throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            // With passwords, as nodes on other machines need them: the proxy asks its clients for its
            // redis_auth and gives it to the nodes.
            let password = "proxy-secret"
            let cluster = try ProxiedCluster(count: 3, in: scratch.path, nodeSettings: .init(requirePass: password),
                                             proxySettings: .init(password: password))
            let arguments = ["--protocol", "2", "--nodes", cluster.nodeList, "--password", password, "--ops", "3000"]
            try python("model", port: cluster.proxy.port, arguments)
            try cluster.stop()
        }

        @Test(.needs(.nutcracker, .python3WithRedis))
        func keysLandWhereTheRingSaysAndANewNodeTakesOnlyItsShare() throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            let cluster = try ProxiedCluster(count: 3, in: scratch.path)
            guard try python("spread", port: cluster.proxy.port, ["--nodes", cluster.nodeList, "--keys", "3000"])
            else { return }
            let before = cluster.names.joined(separator: ",")
            try cluster.addNode()
            try python("grown", port: cluster.proxy.port,
                       ["--nodes", cluster.nodeList, "--before", before, "--keys", "3000"])
            try cluster.stop()
        }

        @Test(.needs(.nutcracker, .redisBenchmark, .redisCLI))
        func redisBenchmarkThroughTheProxyCompletes() throws {
            let benchmark = try ClientTools.path(of: .redisBenchmark)
            let cli = try ClientTools.path(of: .redisCLI)
            let scratch = try Scratch()
            defer { scratch.remove() }
            let cluster = try ProxiedCluster(count: 3, in: scratch.path)
            let proxy = "\(cluster.proxy.port)"
            // redis-benchmark's CONFIG GET at the start is refused (it warns and goes on); PING_INLINE is not
            // a request the proxy parses.
            let run = try runClient(benchmark, [
                "-p", proxy, "-t", "set,get,incr,mset", "-P", "16", "-c", "50", "-n", "20000", "-q",
            ], seconds: 120)
            RedisBenchmarkTests.expectCompleteRun(run, tests: ["SET", "GET", "INCR", "MSET (10 keys)"])
            // Every INCR went to the one key, once.
            let counter = try runClient(cli, ["-p", proxy, "GET", "counter:__rand_int__"])
            #expect(counter.out == "20000\n", "\(counter)")
            #expect(try runClient(cli, ["-p", proxy, "STRLEN", "key:__rand_int__"]).out == "3\n")
            // Those two keys, and no other, on the nodes.
            var keys = 0
            for node in cluster.nodes {
                let size = try runClient(cli, ["-p", "\(node.port)", "DBSIZE"])
                keys += try #require(Int(size.out.trimmingCharacters(in: .whitespacesAndNewlines)), "\(size)")
            }
            #expect(keys == 2)
            try cluster.stop()
        }

        @Test(.needs(.nutcracker, .python3WithRedis))
        func acknowledgedWritesSurviveKill9OfANodeUnderAppendfsyncAlways() throws {
            let python = try ModelScript()
            let scratch = try Scratch()
            defer { scratch.remove() }
            let cluster = try ProxiedCluster(count: 3, in: scratch.path,
                                             nodeSettings: .init(appendFsync: "always"))
            let victim = cluster.nodes[1]
            let journal = scratch.file("journal.json")
            let common = ["--protocol", "2", "--nodes", cluster.nodeList, "--journal", journal]
            let writer = ["--server-pid", "\(victim.pid)", "--acks", "2000", "--writers", "8"]
            guard try python("crash-writer", port: cluster.proxy.port, common + writer) else { return }
            try victim.waitUntilKilled()
            // On its port, where the proxy, which runs on, connects again on the next request for it.
            try victim.start(onSamePort: true)
            try python("crash-verify", port: cluster.proxy.port, common)
            try cluster.stop()
        }
    }
}
