using System.Collections.Immutable;
using LeaseBoard.Features.LiveUpdates;

namespace LeaseBoard.Features.Queue;

/// <summary>
/// The queue as the open panels show it: one <see cref="QueueService.ListAsync"/> of everyone's entries for the whole instance,
/// read again when a queue entry or a reservation or environment changes (a gap opens or closes, so estimates move) — once per
/// burst of events, however many calendars are open. Each panel filters it for its viewer.
/// </summary>
public sealed partial class QueueFeed(QueueService queue, BoardEvents events, ILogger<QueueFeed> logger)
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _reload = new(1, 1);
    private ImmutableList<Action<IReadOnlyList<QueueEntryView>>> _subscribers = [];
    private IDisposable? _eventSubscription;
    private IReadOnlyList<QueueEntryView>? _entries;
    private int _dirty = 1;
    private int _reloading;

    /// <summary>How many times the list was read (tests).</summary>
    public int Loads { get; private set; }

    /// <summary>The latest list, read first if something changed since.</summary>
    public async Task<IReadOnlyList<QueueEntryView>> CurrentAsync(CancellationToken ct = default)
    {
        if (Volatile.Read(ref _dirty) == 0 && _entries is { } entries) return entries;
        return await ReloadAsync(ct);
    }

    /// <summary>Calls <paramref name="changed"/> (on a pool thread) with every new list until disposed.</summary>
    public IDisposable Subscribe(Action<IReadOnlyList<QueueEntryView>> changed)
    {
        lock (_lock)
        {
            _subscribers = _subscribers.Add(changed);
            _eventSubscription ??= events.Subscribe(OnEvent);
        }
        return new Subscription(() =>
        {
            lock (_lock)
            {
                _subscribers = _subscribers.Remove(changed);
                if (!_subscribers.IsEmpty) return;
                // Nobody watching: stop listening; the next panel reads first.
                _eventSubscription?.Dispose();
                _eventSubscription = null;
                Volatile.Write(ref _dirty, 1);
            }
        });
    }

    private Task OnEvent(BoardEvent boardEvent)
    {
        if (boardEvent is not (QueueChanged or ReservationChanged or EnvironmentChanged)) return Task.CompletedTask;
        Volatile.Write(ref _dirty, 1);
        // One reload at a time; an event during one makes it read once more (the loop below), off the publisher's path.
        if (Interlocked.Exchange(ref _reloading, 1) == 0) _ = Task.Run(ReloadAndNotifyAsync);
        return Task.CompletedTask;
    }

    private async Task ReloadAndNotifyAsync()
    {
        try
        {
            while (Volatile.Read(ref _dirty) == 1)
            {
                var entries = await ReloadAsync(CancellationToken.None);
                foreach (var subscriber in _subscribers)
                {
                    try { subscriber(entries); }
                    catch (Exception e) { LogSubscriberFailed(e); }
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogReloadFailed(e); // still dirty: the next event or the next panel opened reads again
        }
        finally
        {
            Volatile.Write(ref _reloading, 0);
            // An event between the loop's last check and the release above would otherwise wait for the next one.
            if (Volatile.Read(ref _dirty) == 1 && !_subscribers.IsEmpty && Interlocked.Exchange(ref _reloading, 1) == 0) _ = Task.Run(ReloadAndNotifyAsync);
        }
    }

    private async Task<IReadOnlyList<QueueEntryView>> ReloadAsync(CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            if (Volatile.Read(ref _dirty) == 0 && _entries is { } fresh) return fresh; // read by the caller before us
            Volatile.Write(ref _dirty, 0);
            var entries = await queue.ListAsync(null, ct);
            Loads++;
            _entries = entries;
            return entries;
        }
        catch
        {
            Volatile.Write(ref _dirty, 1);
            throw;
        }
        finally
        {
            _reload.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the queue for the open panels failed")]
    private partial void LogReloadFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A queue panel failed on a new queue list")]
    private partial void LogSubscriberFailed(Exception exception);
}
