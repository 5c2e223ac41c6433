using Microsoft.AspNetCore.SignalR;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// Forwards this instance's board events to the hub's clients. Only local events: with the Redis
/// backplane the hub itself delivers them to the clients of every other instance, so relayed events
/// are not sent again. Progress is throttled per run.
/// </summary>
public sealed partial class BoardHubBridge(BoardEvents events, IHubContext<BoardHub, IBoardClient> hub, TimeProvider clock,
    ILogger<BoardHubBridge> logger) : IHostedService, IDisposable
{
    private IDisposable? _subscription;
    private ProgressThrottle? _throttle;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _throttle = new ProgressThrottle(clock, ProgressThrottle.DefaultInterval, progress => Send(hub.Clients.All.RunProgressed(progress)));
        _subscription = events.Subscribe(OnEvent);
        return Task.CompletedTask;
    }

    private Task OnEvent(BoardEvent boardEvent)
    {
        if (!boardEvent.IsLocal) return Task.CompletedTask;
        switch (boardEvent)
        {
            case EnvironmentChanged change: return hub.Clients.All.EnvironmentChanged(change);
            case ReservationChanged change: return hub.Clients.All.ReservationChanged(change);
            case RunProgressed progress: _throttle?.Offer(progress); break;
        }
        return Task.CompletedTask;
    }

    private void Send(Task sending) =>
        sending.ContinueWith(t => LogSendFailed(t.Exception!), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _throttle?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending a progress event to the board hub failed")]
    private partial void LogSendFailed(Exception exception);
}
