using System.Runtime;
using System.Text.Json;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Api;

/// <summary>
/// Warms the API's booking path after start-up, before the instance says it is ready: rounds of a rehearsed booking
/// (rolled back: nothing stored, no event, no job), a token check, the environments read and the JSON of an answer, then
/// a wait (bounded) until the JIT stops compiling. The first burst of bookings then pays no query compilation and runs
/// the JIT's optimised code. <c>/health/ready</c> answers 503 "warming up"
/// until it is done; a warm-up that fails is logged and ends the wait (it only makes the first calls slower).
/// </summary>
public sealed partial class ApiWarmUp(BookingService booking, ApiTokenService tokens, ApiQueries queries, IOptions<JsonOptions> json, IOptions<ApiOptions> warmUp,
    TimeProvider clock, ILogger<ApiWarmUp> logger) : BackgroundService, IHealthCheck
{
    /// <summary>How often the settle wait looks at the JIT's count of compiled methods.</summary>
    private static readonly TimeSpan JitSettleStep = TimeSpan.FromMilliseconds(200);

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
                await tokens.ValidateAsync("lb_0000000000_rehearsal", stoppingToken); // no such token: the lookup is what warms
                var environments = await queries.EnvironmentsAsync(stoppingToken);
                if (environments is [{ Key: var key }, ..]) await queries.EnvironmentIdAsync(key, stoppingToken);
                JsonSerializer.Serialize(environments, json.Value.SerializerOptions);
            }
            // Ready once the JIT has stopped compiling (its optimised versions of the hot methods are in place), or at the limit.
            var settleStarted = clock.GetTimestamp();
            for (var compiled = JitInfo.GetCompiledMethodCount(); clock.GetElapsedTime(settleStarted) < warmUp.Value.WarmUpJitSettle;)
            {
                await Task.Delay(JitSettleStep, clock, stoppingToken);
                var now = JitInfo.GetCompiledMethodCount();
                if (now == compiled) break;
                compiled = now;
            }
            LogWarm(clock.GetElapsedTime(started).TotalMilliseconds);
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

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Warm.IsCompleted ? HealthCheckResult.Healthy("warm") : HealthCheckResult.Unhealthy("warming up"));

    [LoggerMessage(Level = LogLevel.Information, Message = "Booking path warm after {Milliseconds:0} ms")]
    private partial void LogWarm(double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming the booking path failed; the first bookings may be slower")]
    private partial void LogFailed(Exception e);
}
