using System.Collections.Immutable;
using LeaseBoard.Data;
using LeaseBoard.Domain;
using LeaseBoard.Features.LiveUpdates;
using Microsoft.EntityFrameworkCore;

namespace LeaseBoard.Features.Booking;

/// <summary>
/// The board as every live page of this instance sees it, kept up to date from board events. A burst of
/// reservation or environment events is coalesced into one query set (events arriving during a load cause
/// exactly one more load), however many pages are open; progress is patched in place without a query;
/// other events (a user's notifications) change nothing here. Subscribers get a <see cref="BoardChange"/>.
/// </summary>
public sealed partial class BoardSnapshot : IDisposable
{
    /// <summary>How far back and ahead the window reaches from the time of a load.</summary>
    public static readonly TimeSpan Back = TimeSpan.FromDays(2), Ahead = TimeSpan.FromDays(21);

    /// <summary>
    /// Heartbeats are written without an event (only progress is announced): while tests run and pages watch, the runs are
    /// re-read this often so a lane never calls a live run hung. One query set per instance, as for the wall.
    /// </summary>
    public static readonly TimeSpan RunRefresh = TimeSpan.FromSeconds(15);

    private readonly IDbContextFactory<LeaseBoardDb> _dbs;
    private readonly TimeProvider _clock;
    private readonly ILogger<BoardSnapshot> _logger;
    private readonly IDisposable _events;
    private readonly ITimer _runRefresh;
    private readonly Lock _lock = new();
    private ImmutableList<Action<BoardChange>> _subscribers = [];
    private BoardView? _view;
    private bool _dirty = true;
    private Task? _loading;
    private ImmutableHashSet<int> _announced = [];
    private long _version;

    public BoardSnapshot(BoardEvents events, IDbContextFactory<LeaseBoardDb> dbs, TimeProvider clock, ILogger<BoardSnapshot> logger)
    {
        _dbs = dbs;
        _clock = clock;
        _logger = logger;
        _events = events.Subscribe(OnEvent);
        _runRefresh = clock.CreateTimer(_ => RefreshRuns(), null, RunRefresh, RunRefresh);
    }

    private void RefreshRuns()
    {
        lock (_lock)
        {
            if (_view is not { Runs.Count: > 0 } || _subscribers.IsEmpty) return;
            _dirty = true;
            _loading ??= LoadLoopAsync();
        }
    }

    /// <summary>How many query sets have run (for tests and benchmarks).</summary>
    public int Loads { get; private set; }

    /// <summary>The latest view; waits for a load under way or due, so a page that just booked sees its booking.</summary>
    public async Task<BoardView> CurrentAsync(CancellationToken ct = default)
    {
        Task? loading;
        lock (_lock)
        {
            if (_view is { } fresh && !_dirty && _loading is null && !Stale(fresh)) return fresh;
            if (_view is { } stale && Stale(stale)) _dirty = true;
            loading = _loading ??= LoadLoopAsync();
        }
        await loading.WaitAsync(ct);
        return _view ?? await LoadAsync(ct); // the load failed: try once more, and let the page see the failure
    }

    /// <summary>Calls <paramref name="changed"/> (on a pool thread) with every new view until disposed.</summary>
    public IDisposable Subscribe(Action<BoardChange> changed)
    {
        lock (_lock) _subscribers = _subscribers.Add(changed);
        return new Subscription(() => { lock (_lock) _subscribers = _subscribers.Remove(changed); });
    }

    /// <summary>The window moves on with time: a view older than a day is loaded again when asked for.</summary>
    private bool Stale(BoardView view) => _clock.GetUtcNow().UtcDateTime > view.FromUtc + Back + TimeSpan.FromDays(1);

    private Task OnEvent(BoardEvent boardEvent)
    {
        switch (boardEvent)
        {
            case ReservationChanged r: MarkDirty(r.ReservationId); break;
            case EnvironmentChanged: MarkDirty(null); break;
            case RunProgressed p: Patch(p); break;
            // Anything else (a user's notifications) shows on no page that reads the board.
        }
        return Task.CompletedTask;
    }

    private void MarkDirty(int? reservationId)
    {
        lock (_lock)
        {
            if (reservationId is { } id) _announced = _announced.Add(id);
            _dirty = true;
            // Nobody watching: the next page to ask loads first.
            if (_subscribers.IsEmpty || _view is null) return;
            _loading ??= LoadLoopAsync();
        }
    }

    /// <summary>A running test's progress: the row and run are replaced in a new view, no query. A change of run state (hung, stopping, ended) reloads.</summary>
    private void Patch(RunProgressed progress)
    {
        BoardChange change;
        lock (_lock)
        {
            var view = _view;
            var index = -1;
            // A load under way may have read the run before this progress was saved: let one more load follow instead.
            if (view is not null && !_dirty && _loading is null)
                for (var i = 0; i < view.Reservations.Count; i++)
                    if (view.Reservations[i].Id == progress.ReservationId) { index = i; break; }
            var row = index >= 0 ? view!.Reservations[index] : null;
            var run = view?.RunOf(progress.ReservationId);
            if (row is null || run is null || row.RunState != progress.State || run.State != progress.State)
            {
                _dirty = true;
                if (!_subscribers.IsEmpty && _view is not null) _loading ??= LoadLoopAsync();
                return;
            }
            if (row.RunProgress == progress.ProgressPercent) return;
            var reservations = view!.Reservations.ToArray();
            reservations[index] = row with { RunProgress = progress.ProgressPercent };
            // Progress comes with a heartbeat: the lane's hang check counts from here.
            var runs = new Dictionary<int, BoardRun>(view.Runs)
            {
                [run.ReservationId] = run with { ProgressPercent = progress.ProgressPercent, LastHeartbeatUtc = _clock.GetUtcNow().UtcDateTime },
            };
            _view = new BoardView
            {
                Environments = view.Environments, Reservations = reservations, Maintenance = view.Maintenance, Runs = runs,
                FromUtc = view.FromUtc, ToUtc = view.ToUtc, Version = Interlocked.Increment(ref _version),
            };
            change = new BoardChange(BoardChangeKind.Progress, _view, ImmutableHashSet.Create(row.EnvironmentId), ImmutableHashSet.Create(row.OwnerId), false);
        }
        Notify(change);
    }

    /// <summary>Loads while something is dirty: events during a load cost one more load, never one per event or per page.</summary>
    private async Task LoadLoopAsync()
    {
        await Task.Yield(); // never load on the publisher's thread
        while (true)
        {
            ImmutableHashSet<int> announced;
            BoardView? before;
            lock (_lock)
            {
                if (!_dirty) { _loading = null; return; }
                _dirty = false;
                announced = _announced;
                _announced = [];
                before = _view;
            }
            BoardView after;
            try
            {
                after = await LoadAsync(CancellationToken.None);
            }
            catch (Exception e)
            {
                LogLoadFailed(e);
                lock (_lock) { _dirty = true; _announced = _announced.Union(announced); _loading = null; }
                return; // still dirty: the next event or page tries again
            }
            lock (_lock) _view = after;
            if (before is not null && Diff(before, after, announced) is { } change && (change.EnvironmentIds.Count > 0 || change.OwnerIds.Count > 0 || change.OutsideWindow))
                Notify(change);
        }
    }

    private static BoardChange Diff(BoardView before, BoardView after, ImmutableHashSet<int> announced)
    {
        var environments = new HashSet<int>();
        var owners = new HashSet<string>(StringComparer.Ordinal);
        var old = before.Reservations.ToDictionary(r => r.Id);
        var seen = new HashSet<int>();
        foreach (var row in after.Reservations)
        {
            seen.Add(row.Id);
            if (old.TryGetValue(row.Id, out var was) && was == row && before.RunOf(row.Id) == after.RunOf(row.Id)) continue;
            environments.Add(row.EnvironmentId);
            owners.Add(row.OwnerId);
            if (was is not null) environments.Add(was.EnvironmentId);
        }
        foreach (var gone in before.Reservations.Where(r => !seen.Contains(r.Id)))
        {
            environments.Add(gone.EnvironmentId);
            owners.Add(gone.OwnerId);
        }
        var oldEnvironments = before.Environments.ToDictionary(e => e.Id);
        foreach (var environment in after.Environments)
            if (!oldEnvironments.TryGetValue(environment.Id, out var was) || was != environment) environments.Add(environment.Id);
        foreach (var (id, window) in before.Maintenance.Except(after.Maintenance).Concat(after.Maintenance.Except(before.Maintenance)))
            environments.Add(id);
        var outside = announced.Any(id => !old.ContainsKey(id) && !seen.Contains(id));
        // Only runs moved (heartbeats, progress): what shows progress re-renders, nothing else.
        var runsOnly = !outside && announced.IsEmpty && environments.Count > 0
            && before.Environments.SequenceEqual(after.Environments) && before.Maintenance.SequenceEqual(after.Maintenance)
            && before.Reservations.Select(r => r with { RunProgress = null, RunState = null }).SequenceEqual(after.Reservations.Select(r => r with { RunProgress = null, RunState = null }))
            && before.Reservations.Select(r => r.RunState).SequenceEqual(after.Reservations.Select(r => r.RunState));
        return new BoardChange(runsOnly ? BoardChangeKind.Progress : BoardChangeKind.Board, after, environments, owners, outside);
    }

    private void Notify(BoardChange change)
    {
        foreach (var subscriber in _subscribers)
        {
            try { subscriber(change); }
            catch (Exception e) { LogSubscriberFailed(e); }
        }
    }

    /// <summary>The one query set: environments, the window's reservations and running leases, its maintenance, and the running leases' runs.</summary>
    private async Task<BoardView> LoadAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var (from, to) = (now - Back, now + Ahead);
        await using var db = await _dbs.CreateDbContextAsync(ct);
        var environments = await ReservationQueries.Environments(db).ToListAsync(ct);
        var reservations = await ReservationQueries.Rows(db.Reservations
            .Where(r => r.State != ReservationState.Cancelled
                && ((r.StartUtc < to && r.EndUtc > from) || r.State == ReservationState.Active || r.State == ReservationState.Releasing))
            .OrderBy(r => r.StartUtc)).ToListAsync(ct);
        var maintenance = await MaintenanceWindows.Between(db, from, to, ct);
        var runs = await db.TestRuns.AsNoTracking()
            .Where(x => (x.Reservation!.State == ReservationState.Active || x.Reservation.State == ReservationState.Releasing)
                && x.Id == db.TestRuns.Where(y => y.ReservationId == x.ReservationId).Max(y => y.Id))
            .Select(x => new BoardRun(x.ReservationId, x.EnvironmentId, x.State, x.ProgressPercent, x.StartedUtc, x.LastHeartbeatUtc, x.StopReason))
            .ToListAsync(ct);
        Loads++;
        return new BoardView
        {
            Environments = environments,
            Reservations = reservations,
            Maintenance = maintenance,
            Runs = runs.ToDictionary(r => r.ReservationId),
            FromUtc = from,
            ToUtc = to,
            Version = Interlocked.Increment(ref _version),
        };
    }

    public void Dispose()
    {
        _events.Dispose();
        _runRefresh.Dispose();
        lock (_lock) _subscribers = [];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loading the board snapshot failed; the next change or page tries again")]
    private partial void LogLoadFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A page failed to take a new board snapshot")]
    private partial void LogSubscriberFailed(Exception exception);
}
