using System.Text.Json;
using StackExchange.Redis;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// Makes board events of every instance reach this instance's Blazor circuits: local events go out on
/// a Redis channel, events from other instances come back in and are published locally, marked with
/// their origin so they are never sent out again. (The hub has its own backplane; circuits do not.)
/// </summary>
public sealed partial class RedisBoardEventRelay(BoardEvents events, IConnectionMultiplexer redis, ILogger<RedisBoardEventRelay> logger)
    : IHostedService, IDisposable
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("leaseboard:board-events");

    /// <summary>This instance, in every event it sends.</summary>
    public string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Completes once events from other instances are being received.</summary>
    public Task Subscribed => _subscribed.Task;

    private static readonly TimeSpan SubscribeRetry = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = events.Subscribe(SendAsync);
        // Off the start-up path: with Redis down the instance still starts and serves its own browsers.
        _ = SubscribeUntilDoneAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task SubscribeUntilDoneAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => Receive(message));
                LogStarted(InstanceId);
                _subscribed.TrySetResult();
                return; // the multiplexer restores the subscription after a reconnect
            }
            catch (RedisException e)
            {
                LogSubscribeFailed(e, SubscribeRetry.TotalSeconds);
            }
            try { await Task.Delay(SubscribeRetry, ct); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task SendAsync(BoardEvent boardEvent)
    {
        if (!boardEvent.IsLocal) return;
        var json = JsonSerializer.Serialize(boardEvent with { Origin = InstanceId });
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, json);
        }
        catch (RedisException e)
        {
            LogSendFailed(e, boardEvent.GetType().Name);
        }
    }

    private void Receive(RedisValue message)
    {
        BoardEvent? boardEvent;
        try
        {
            boardEvent = JsonSerializer.Deserialize<BoardEvent>(message.ToString());
        }
        catch (JsonException e)
        {
            LogUnreadable(e);
            return;
        }
        if (boardEvent is null || boardEvent.Origin is null || boardEvent.Origin == InstanceId) return;
        events.Publish(boardEvent);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The container may have disposed this singleton already (a host that failed to start, or was torn down): then
        // there is nothing left to stop.
        try { await _stopping.CancelAsync(); }
        catch (ObjectDisposedException) { return; }
        _subscription?.Dispose();
        try { await redis.GetSubscriber().UnsubscribeAsync(Channel); }
        catch (RedisException) { } // shutting down anyway
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Relaying board events through Redis as instance {InstanceId}")]
    private partial void LogStarted(string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to board events on Redis failed; trying again in {Seconds} s")]
    private partial void LogSubscribeFailed(Exception exception, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing {Event} to Redis failed; other instances miss it")]
    private partial void LogSendFailed(Exception exception, string @event);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An unreadable board event arrived from Redis")]
    private partial void LogUnreadable(Exception exception);
}
