using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime;
using System.Text.Json;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Api;

/// <summary>
/// Warms the API's booking path after start-up, before the instance says it is ready: rounds of a rehearsed booking
/// (rolled back: nothing stored, no event, no job), a token check, the environments read and the JSON of an answer; then,
/// once the server listens, the same rounds over loopback HTTP to its own API with a <see cref="WarmUpToken"/> (a rehearsed
/// booking answered 201, a refused one answered 422), so that Kestrel, authentication, the rate limiter, the endpoint's
/// binding and the problem answers are compiled too; then a wait (bounded) until the JIT stops compiling. The first burst
/// of bookings then pays no query compilation and runs the JIT's optimised code. <c>/health/ready</c> answers 503
/// "warming up" until it is done; a warm-up that fails is logged and ends the wait (it only makes the first calls slower).
/// </summary>
public sealed partial class ApiWarmUp(BookingService booking, ApiTokenService tokens, ApiQueries queries, IOptions<JsonOptions> json, IOptions<ApiOptions> warmUp,
    IServer server, IHostApplicationLifetime lifetime, WarmUpToken warmUpToken, IOptionsMonitor<BookingOptions> rules,
    TimeProvider clock, ILogger<ApiWarmUp> logger) : BackgroundService, IHealthCheck
{
    /// <summary>Each warm-up call over HTTP: its own instance on loopback answers in milliseconds, or something is wrong.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How often the settle wait looks at the JIT's count of compiled methods.</summary>
    private static readonly TimeSpan JitSettleStep = TimeSpan.FromMilliseconds(200);

    /// <summary>At most this many recently used tokens are remembered at start (a few hundred bytes each).</summary>
    private const int RememberedTokens = 10_000;

    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Warm => _warm.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = clock.GetTimestamp();
        try
        {
            for (var round = 0; round < warmUp.Value.WarmUpRounds; round++)
            {
                await booking.RehearseAsync(stoppingToken);
                await tokens.RehearseAsync(stoppingToken);
                var environments = await queries.EnvironmentsAsync(stoppingToken);
                if (environments is [{ Key: var key }, ..]) await queries.EnvironmentIdAsync(key, stoppingToken);
                JsonSerializer.Serialize(environments, json.Value.SerializerOptions);
            }
            var remembered = await tokens.RememberRecentlyUsedAsync(RememberedTokens, stoppingToken);
            var overHttp = await WarmOverHttpAsync(stoppingToken);
            // Ready once the JIT has stopped compiling (its optimised versions of the hot methods are in place), or at the limit.
            var settleStarted = clock.GetTimestamp();
            for (var compiled = JitInfo.GetCompiledMethodCount(); clock.GetElapsedTime(settleStarted) < warmUp.Value.WarmUpJitSettle;)
            {
                await Task.Delay(JitSettleStep, clock, stoppingToken);
                var now = JitInfo.GetCompiledMethodCount();
                if (now == compiled) break;
                compiled = now;
            }
            LogWarm(clock.GetElapsedTime(started).TotalMilliseconds, warmUp.Value.WarmUpRounds, overHttp, remembered);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogFailed(e);
        }
        finally
        {
            _warm.TrySetResult();
        }
    }

    /// <summary>
    /// The rounds over HTTP, once the server listens on a plain-HTTP address (none under a test server or HTTPS only: then
    /// none, and the in-process rounds are the warm-up). Returns how many rounds answered as expected.
    /// </summary>
    private async Task<int> WarmOverHttpAsync(CancellationToken ct)
    {
        if (!await StartedAsync(ct) || OwnAddress() is not { } address) return 0;
        var environments = await queries.EnvironmentsAsync(ct);
        if (environments is not [{ Key: var key }, ..]) return 0;
        var token = warmUpToken.Issue();
        try
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = CallTimeout })
            {
                BaseAddress = address,
                Timeout = CallTimeout,
                DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
            };
            var minutes = (int)rules.CurrentValue.MinDuration.TotalMinutes;
            var start = clock.GetUtcNow().UtcDateTime.Date.AddDays(1).AddHours(3);
            // Off every grid (half a minute past): the booking service refuses it with a 422 problem.
            var (onGrid, offGrid) = (Text(start), Text(start.AddSeconds(30)));
            for (var round = 0; round < warmUp.Value.WarmUpRounds; round++)
            {
                using var booked = await client.PostAsJsonAsync("api/v1/reservations", new { environment = key, start = onGrid, durationMinutes = minutes, title = "Warm-up" }, ct);
                using var refused = await client.PostAsJsonAsync("api/v1/reservations", new { environment = key, start = offGrid, durationMinutes = minutes, title = "Warm-up" }, ct);
                await booked.Content.ReadAsByteArrayAsync(ct);
                await refused.Content.ReadAsByteArrayAsync(ct);
                if (booked.StatusCode != HttpStatusCode.Created || refused.StatusCode != HttpStatusCode.UnprocessableEntity)
                {
                    LogHttpUnexpected(address, (int)booked.StatusCode, (int)refused.StatusCode);
                    return round;
                }
            }
            return warmUp.Value.WarmUpRounds;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogHttpFailed(address, e);
            return 0;
        }
        finally
        {
            warmUpToken.Revoke();
        }
    }

    private static string Text(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<bool> StartedAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var whenStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var whenStopping = ct.Register(() => started.TrySetCanceled(ct));
        await started.Task;
        return true;
    }

    /// <summary>The server's first plain-HTTP address, as a loopback URL (a wildcard host is this machine).</summary>
    private Uri? OwnAddress()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var listening in addresses)
        {
            if (!Uri.TryCreate(listening.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal),
                    UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp) continue;
            var host = uri.Host switch
            {
                "0.0.0.0" or "localhost" => "127.0.0.1",
                "[::]" => "[::1]",
                var other => other,
            };
            return new UriBuilder(uri) { Host = host, Path = uri.AbsolutePath.TrimEnd('/') + "/" }.Uri;
        }
        return null;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Warm.IsCompleted ? HealthCheckResult.Healthy("warm") : HealthCheckResult.Unhealthy("warming up"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Booking path warm after {Milliseconds:0} ms ({Rounds} rounds in process, {HttpRounds} over HTTP, {Tokens} recently used tokens remembered)")]
    private partial void LogWarm(double milliseconds, int rounds, int httpRounds, int tokens);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming over HTTP at {Address} stopped: a rehearsed booking answered {Booked} (201 expected), a refused one {Refused} (422 expected)")]
    private partial void LogHttpUnexpected(Uri address, int booked, int refused);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming over HTTP at {Address} failed; the first requests may be slower")]
    private partial void LogHttpFailed(Uri address, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming the booking path failed; the first bookings may be slower")]
    private partial void LogFailed(Exception e);
}
