using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// A throw-away <c>redis-server</c> on a free loopback port, no persistence, started as a child
/// process and stopped by its own id. Without the binary the tests using it are skipped with a loud
/// reason — except under CI (<c>CI=true</c>), where that is a failure (.ci/run installs it).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/redis-server";

    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static void SkipUnlessInstalled()
    {
        if (File.Exists(ExecutablePath)) return;
        var reason = $"REDIS TEST NOT RUN: {ExecutablePath} is missing. Install it with `apt-get install -y redis-server` (.ci/run does this).";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(reason + " CI=true, so this is a failure, not a skip.");
        Skip.If(true, reason);
    }

    public static async Task<RedisServer> StartAsync()
    {
        SkipUnlessInstalled();
        var port = FreePort();
        var start = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", port.ToString(), "--save", "", "--appendonly", "no" })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port);
        try
        {
            await Eventually.MatchesAsync(server.PingAsync, pong => pong || process.HasExited, TimeSpan.FromSeconds(15), "redis-server answered PING");
            if (process.HasExited) throw new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {port}.");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException) { }
        catch (TimeoutException) { }
        _process.Dispose();
    }
}
