using System.Net;
using System.Net.Sockets;

namespace LeaseBoard.Tests.Features.Telemetry;

/// <summary>An OTLP/HTTP collector on a free loopback port that answers 200 to everything and remembers the paths and bodies.</summary>
internal sealed class FakeCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public FakeCollector()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Address = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
            probe.Stop();
        }
        _listener.Prefixes.Add(Address + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Address { get; }
    public System.Collections.Concurrent.ConcurrentBag<string> Paths { get; } = [];
    public System.Collections.Concurrent.ConcurrentQueue<(string Path, byte[] Body)> Bodies { get; } = new();

    /// <summary>Whether any export to <paramref name="path"/> carries <paramref name="text"/> (OTLP's protobuf keeps strings as UTF-8 bytes).</summary>
    public bool Received(string path, string text)
    {
        var wanted = System.Text.Encoding.UTF8.GetBytes(text);
        return Bodies.Any(b => b.Path == path && b.Body.AsSpan().IndexOf(wanted) >= 0);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            Bodies.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
            Paths.Add(context.Request.Url!.AbsolutePath);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }
}
