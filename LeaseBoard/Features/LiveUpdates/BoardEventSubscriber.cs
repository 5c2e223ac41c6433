namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// A hosted service that hears the board events from its start to its stop; the subclass says what an event does
/// (and hands slow work off the publisher's path).
/// </summary>
public abstract class BoardEventSubscriber(BoardEvents events) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription ??= events.Subscribe(OnEventAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _subscription, null)?.Dispose();
        GC.SuppressFinalize(this);
    }

    protected abstract Task OnEventAsync(BoardEvent boardEvent);
}
