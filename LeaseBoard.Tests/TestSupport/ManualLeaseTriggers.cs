using LeaseBoard.Features.Leases;

namespace LeaseBoard.Tests.TestSupport;

/// <summary>
/// Stands in for Hangfire in engine tests: records every trigger with its due time; the harness runs
/// the due ones as the fake clock moves. Like Hangfire, a deleted job never runs.
/// </summary>
public sealed class ManualLeaseTriggers(TimeProvider clock) : ILeaseTriggers
{
    private readonly Lock _gate = new();
    private readonly List<RecordedJob> _jobs = [];
    private readonly string _instance = Guid.NewGuid().ToString("N")[..6];
    private int _sequence;

    /// <param name="ForStartUtc">A readiness job's start it checks for.</param>
    public sealed record RecordedJob(string Id, string Kind, int Argument, DateTime DueUtc, DateTime? ForStartUtc = null)
    {
        public bool Deleted { get; set; }
        public bool Ran { get; set; }
    }

    public IReadOnlyList<RecordedJob> All { get { lock (_gate) return _jobs.ToList(); } }

    public string ScheduleStart(int reservationId, DateTime atUtc) => Add("start", reservationId, atUtc);
    public string ScheduleDeadline(int reservationId, DateTime atUtc) => Add("deadline", reservationId, atUtc);
    public string ScheduleRunCheck(int reservationId, DateTime atUtc) => Add("check", reservationId, atUtc);
    public string EnqueueCleanup(int environmentId) => Add("cleanup", environmentId, clock.GetUtcNow().UtcDateTime);

    /// <summary>Each reservation's readiness job, as the Hangfire triggers keep it next to the jobs.</summary>
    private readonly Dictionary<int, string> _readiness = [];

    public string ScheduleReadiness(int reservationId, DateTime startUtc, DateTime atUtc)
    {
        lock (_gate)
        {
            DeleteReadiness(reservationId);
            return _readiness[reservationId] = Add("readiness", reservationId, atUtc, startUtc);
        }
    }

    public void DeleteReadiness(int reservationId)
    {
        lock (_gate)
            if (_readiness.Remove(reservationId, out var previous)) Delete(previous);
    }

    public bool HasReadiness(int reservationId)
    {
        lock (_gate) return _readiness.TryGetValue(reservationId, out var id) && _jobs.Any(j => j.Id == id && !j.Deleted);
    }

    /// <summary>The reservation's readiness jobs still waiting (deleted and run ones left out).</summary>
    public List<RecordedJob> PendingReadiness(int reservationId)
    {
        lock (_gate) return _jobs.Where(j => j.Kind == "readiness" && j.Argument == reservationId && !j.Deleted && !j.Ran).ToList();
    }

    public void Delete(string jobId)
    {
        lock (_gate) foreach (var job in _jobs.Where(j => j.Id == jobId)) job.Deleted = true;
    }

    public bool IsPending(string jobId)
    {
        lock (_gate) return _jobs.Any(j => j.Id == jobId && !j.Deleted && !j.Ran);
    }

    /// <summary>Takes the jobs due now (marking them as run), in due order.</summary>
    public List<RecordedJob> TakeDue()
    {
        var now = clock.GetUtcNow().UtcDateTime;
        lock (_gate)
        {
            var due = _jobs.Where(j => !j.Deleted && !j.Ran && j.DueUtc <= now).OrderBy(j => j.DueUtc).ToList();
            foreach (var job in due) job.Ran = true;
            return due;
        }
    }

    private string Add(string kind, int argument, DateTime dueUtc, DateTime? forStartUtc = null)
    {
        lock (_gate)
        {
            var id = $"{kind}-{_instance}-{++_sequence}"; // unique across restarts, like Hangfire's Guid ids
            _jobs.Add(new RecordedJob(id, kind, argument, dueUtc, forStartUtc));
            return id;
        }
    }
}
