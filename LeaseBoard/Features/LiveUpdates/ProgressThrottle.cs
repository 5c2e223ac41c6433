using LeaseBoard.Domain;

namespace LeaseBoard.Features.LiveUpdates;

/// <summary>
/// Lets at most one progress event per run through per <c>interval</c>. A suppressed event is not
/// lost: the latest one is delivered when the interval has passed, and an event for a run that has
/// ended always goes through at once.
/// </summary>
public sealed class ProgressThrottle(TimeProvider clock, TimeSpan interval, Action<RunProgressed> deliver) : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Dictionary<int, RunWindow> _runs = [];
    private bool _disposed;

    public void Offer(RunProgressed progress)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_disposed) return;
            _runs.TryGetValue(progress.ReservationId, out var window);
            if (!progress.State.IsOpen())
            {
                // The run is over: its final state must not wait, and nothing more will come for it.
                window?.Timer?.Dispose();
                _runs.Remove(progress.ReservationId);
            }
            else if (window is null || now - window.LastSent >= interval)
            {
                _runs[progress.ReservationId] = new RunWindow { LastSent = now };
                window?.Timer?.Dispose();
            }
            else
            {
                window.Pending = progress;
                window.Timer ??= clock.CreateTimer(Flush, progress.ReservationId, interval - (now - window.LastSent), Timeout.InfiniteTimeSpan);
                return;
            }
        }
        deliver(progress);
    }

    private void Flush(object? state)
    {
        var reservationId = (int)state!;
        RunProgressed? pending;
        lock (_lock)
        {
            if (_disposed || !_runs.TryGetValue(reservationId, out var window)) return;
            pending = window.Pending;
            window.Pending = null;
            window.Timer?.Dispose();
            window.Timer = null;
            if (pending is not null) window.LastSent = clock.GetUtcNow();
        }
        if (pending is not null) deliver(pending);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var window in _runs.Values) window.Timer?.Dispose();
            _runs.Clear();
        }
    }

    private sealed class RunWindow
    {
        public DateTimeOffset LastSent { get; set; }
        public RunProgressed? Pending { get; set; }
        public ITimer? Timer { get; set; }
    }
}
