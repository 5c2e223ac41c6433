using System.Collections.Immutable;
using LeaseBoard.Features.LiveUpdates;

namespace LeaseBoard.Features.Wall;

/// <summary>
/// The board as the walls show it, shared by every open wall of this instance: board events mark it
/// dirty, a burst of them is coalesced into one reload after <see cref="CoalesceWindow"/>, progress is
/// throttled per run, and the walls get the new snapshot. One query set per burst, however many walls
/// are open. A slow periodic refresh catches what no event announces (heartbeats, health ageing).
/// </summary>
public sealed partial class WallFeed : IDisposable
{
    public static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(150);
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(15);

    private readonly BoardEvents _events;
    private readonly WallQueries _queries;
    private readonly TimeProvider _clock;
    private readonly ILogger<WallFeed> _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _loading = new(1, 1);
    private readonly ProgressThrottle _throttle;
    private ImmutableList<Action<WallSnapshot>> _subscribers = [];
    private IDisposable? _eventSubscription;
    private ITimer? _refresh;
    private ITimer? _pendingReload;
    private WallSnapshot? _snapshot;
    private bool _dirty = true;

    public WallFeed(BoardEvents events, WallQueries queries, TimeProvider clock, ILogger<WallFeed> logger)
    {
        _events = events;
        _queries = queries;
        _clock = clock;
        _logger = logger;
        _throttle = new ProgressThrottle(clock, ProgressThrottle.DefaultInterval, _ => MarkDirty());
    }

    /// <summary>How many reloads have run (for tests and benchmarks).</summary>
    public int Reloads { get; private set; }

    /// <summary>The latest snapshot, loaded first if something has changed since.</summary>
    public async Task<WallSnapshot> CurrentAsync(CancellationToken ct = default)
    {
        var snapshot = _snapshot;
        if (snapshot is not null && !_dirty) return snapshot;
        return await ReloadAsync(ct);
    }

    /// <summary>Calls <paramref name="changed"/> (on a pool thread) with every new snapshot until disposed.</summary>
    public IDisposable Subscribe(Action<WallSnapshot> changed)
    {
        lock (_lock)
        {
            _subscribers = _subscribers.Add(changed);
            _eventSubscription ??= _events.Subscribe(OnEvent);
            _refresh ??= _clock.CreateTimer(_ => MarkDirty(), null, RefreshInterval, RefreshInterval);
        }
        return new Subscription(() =>
        {
            lock (_lock)
            {
                _subscribers = _subscribers.Remove(changed);
                if (!_subscribers.IsEmpty) return;
                // Nobody watching: stop listening and refreshing; the next wall reloads first.
                _eventSubscription?.Dispose();
                _eventSubscription = null;
                _refresh?.Dispose();
                _refresh = null;
                _dirty = true;
            }
        });
    }

    private Task OnEvent(BoardEvent boardEvent)
    {
        if (boardEvent is RunProgressed progress) _throttle.Offer(progress);
        // Not a user's notifications: no tile shows them. A queue entry's change moves the banner's queue length.
        else if (boardEvent is ReservationChanged or EnvironmentChanged or QueueChanged) MarkDirty();

        return Task.CompletedTask;
    }

    private void MarkDirty()
    {
        lock (_lock)
        {
            _dirty = true;
            if (_pendingReload is not null || _subscribers.IsEmpty) return;
            _pendingReload = _clock.CreateTimer(_ => _ = ReloadAndNotifyAsync(), null, CoalesceWindow, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task ReloadAndNotifyAsync()
    {
        try
        {
            var snapshot = await ReloadAsync(CancellationToken.None);
            foreach (var subscriber in _subscribers)
            {
                try { subscriber(snapshot); }
                catch (Exception e) { LogSubscriberFailed(e); }
            }
        }
        catch (Exception e)
        {
            LogReloadFailed(e); // still dirty: the next event or the periodic refresh tries again
        }
    }

    private async Task<WallSnapshot> ReloadAsync(CancellationToken ct)
    {
        await _loading.WaitAsync(ct);
        try
        {
            lock (_lock)
            {
                _pendingReload?.Dispose();
                _pendingReload = null;
                _dirty = false; // an event arriving from here on marks it dirty again and schedules another reload
            }
            var snapshot = await _queries.LoadAsync(ct);
            _snapshot = snapshot;
            Reloads++;
            return snapshot;
        }
        catch
        {
            _dirty = true;
            throw;
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _eventSubscription?.Dispose();
            _refresh?.Dispose();
            _pendingReload?.Dispose();
            _subscribers = [];
        }
        _throttle.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reloading the wall failed; the next change or refresh tries again")]
    private partial void LogReloadFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A wall failed to take a new snapshot")]
    private partial void LogSubscriberFailed(Exception exception);
}
