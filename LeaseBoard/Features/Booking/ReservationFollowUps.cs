using System.Threading.Channels;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;

namespace LeaseBoard.Features.Booking;

/// <summary>
/// What follows a committed reservation change — its lifecycles (the lease engine's start and deadline jobs), then its
/// board event — run by one consumer in commit order, off the caller's path: a booking answers as soon as its
/// transaction commits. Each follow-up is idempotent (the lease scheduler re-reads the reservation), and if the process
/// stops before one ran, the lease engine's start-up reconcile recreates missing jobs and its supervise pass starts any
/// reservation that is due, jobs or not.
/// </summary>
public sealed partial class ReservationFollowUps : IAsyncDisposable
{
    /// <summary>How long disposal (the app stopping) waits for the follow-ups already queued.</summary>
    private static readonly TimeSpan DrainOnStop = TimeSpan.FromSeconds(5);

    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IEnumerable<IReservationLifecycle> _lifecycles;
    private readonly BoardEvents _events;
    private readonly TimeProvider _clock;
    private readonly ILogger<ReservationFollowUps> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _consumer;

    public ReservationFollowUps(IEnumerable<IReservationLifecycle> lifecycles, BoardEvents events, TimeProvider clock, ILogger<ReservationFollowUps> logger)
    {
        _lifecycles = lifecycles;
        _events = events;
        _clock = clock;
        _logger = logger;
        // The consumer outlives whichever caller first resolved this singleton: it must not carry that caller's
        // execution context (its request, activity, logging scope) into every follow-up after it.
        using (ExecutionContext.SuppressFlow()) _consumer = Task.Run(ConsumeAsync);
    }

    /// <summary>Queues the follow-ups of a committed change; the event is taken now, so it carries the committed state.</summary>
    public void Enqueue(Reservation reservation, ReservationChange change)
    {
        var changed = new ReservationChanged(reservation.Id, reservation.EnvironmentId, reservation.State, change);
        if (!_queue.Writer.TryWrite(new Item(reservation, changed, null)))
            LogDropped(reservation.Id, change); // only after disposal: the reconcile and the supervise pass cover it
    }

    /// <summary>Completes when every follow-up queued before the call has run (tests; nothing on the request path waits).</summary>
    public Task DrainedAsync()
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Item(null, null, drained))) drained.TrySetResult();
        return drained.Task;
    }

    private async Task ConsumeAsync()
    {
        await foreach (var item in _queue.Reader.ReadAllAsync())
        {
            if (item.Drained is { } drained)
            {
                drained.TrySetResult();
                continue;
            }
            foreach (var lifecycle in _lifecycles)
            {
                try
                {
                    await lifecycle.ReservationChangedAsync(item.Reservation!, _stopping.Token);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    LogFailed(e, item.Changed!.ReservationId, lifecycle.GetType().Name);
                }
                catch (OperationCanceledException)
                {
                    // Stopping: the reconcile after the next start recreates what this would have scheduled.
                }
            }
            _events.Publish(item.Changed!);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _consumer.WaitAsync(DrainOnStop, _clock);
        }
        catch (TimeoutException)
        {
            await _stopping.CancelAsync();
            await _consumer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _stopping.Dispose();
    }

    private sealed record Item(Reservation? Reservation, ReservationChanged? Changed, TaskCompletionSource? Drained);

    [LoggerMessage(Level = LogLevel.Error, Message = "Follow-up {Lifecycle} of reservation {ReservationId} failed; the supervise pass will catch up")]
    private partial void LogFailed(Exception e, int reservationId, string lifecycle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Follow-ups of reservation {ReservationId} ({Change}) not queued: the app is stopping")]
    private partial void LogDropped(int reservationId, ReservationChange change);
}
