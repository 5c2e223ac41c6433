using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// A real HTTP endpoint on 127.0.0.1 (Kestrel, a port of its own) standing in for Slack or Teams: it records every
/// request body and answers the status codes the test queued (then 200), optionally holding requests until released.
/// </summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<int> _answers = new();
    private readonly ConcurrentQueue<Received> _received = new();
    private volatile TaskCompletionSource? _hold;

    public sealed record Received(string Path, string ContentType, string Body);

    private WebhookListener(WebApplication app) => _app = app;

    public string Url(string path = "/hooks/T000/B000/xyz1A2b") => BaseUrl + path;
    public string BaseUrl { get; private set; } = "";
    public IReadOnlyList<Received> Requests => _received.ToArray();

    /// <summary>The next answers, in order; after them every request gets 200.</summary>
    public void AnswerWith(params int[] statuses)
    {
        foreach (var s in statuses) _answers.Enqueue(s);
    }

    /// <summary>From now on requests are received (and recorded) but not answered until <see cref="Release"/>.</summary>
    public void Hold() => _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => Interlocked.Exchange(ref _hold, null)?.TrySetResult();

    public static async Task<WebhookListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var listener = new WebhookListener(app);
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            listener._received.Enqueue(new Received(context.Request.Path, context.Request.ContentType ?? "", body));
            if (listener._hold is { } hold) await hold.Task.WaitAsync(context.RequestAborted);
            context.Response.StatusCode = listener._answers.TryDequeue(out var status) ? status : 200;
            await context.Response.WriteAsync(context.Response.StatusCode == 200 ? "ok" : "no_service");
        });
        await app.StartAsync();
        listener.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
