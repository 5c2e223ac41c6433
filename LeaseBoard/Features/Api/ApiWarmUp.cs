using System.Text.Json;
using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Tokens;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Api;

/// <summary>
/// Warms the API's booking path after start-up, before the instance says it is ready: a rehearsed booking (rolled
/// back: nothing stored, no event, no job), a token check, the environments read and the JSON of an answer. The
/// first burst of bookings then pays no query compilation or JIT. <c>/health/ready</c> answers 503 "warming up"
/// until it is done; a warm-up that fails is logged and ends the wait (it only makes the first calls slower).
/// </summary>
public sealed partial class ApiWarmUp(BookingService booking, ApiTokenService tokens, ApiQueries queries, IOptions<JsonOptions> json,
    TimeProvider clock, ILogger<ApiWarmUp> logger) : BackgroundService, IHealthCheck
{
    /// <summary>Rounds of the whole path: the second and third reach the JIT's optimised code for the hot methods.</summary>
    private const int Rounds = 3;

    private readonly TaskCompletionSource _warm = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Warm => _warm.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = clock.GetTimestamp();
        try
        {
            for (var round = 0; round < Rounds; round++)
            {
                await booking.RehearseAsync(stoppingToken);
                await tokens.ValidateAsync("lb_0000000000_rehearsal", stoppingToken); // no such token: the lookup is what warms
                var environments = await queries.EnvironmentsAsync(stoppingToken);
                if (environments is [{ Key: var key }, ..]) await queries.EnvironmentIdAsync(key, stoppingToken);
                JsonSerializer.Serialize(environments, json.Value.SerializerOptions);
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
