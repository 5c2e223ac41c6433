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

    public sealed record RecordedJob(string Id, string Kind, int Argument, DateTime DueUtc)
    {
        public bool Deleted { get; set; }
        public bool Ran { get; set; }
    }

    public IReadOnlyList<RecordedJob> All { get { lock (_gate) return _jobs.ToList(); } }

    public string ScheduleStart(int reservationId, DateTime atUtc) => Add("start", reservationId, atUtc);
    public string ScheduleDeadline(int reservationId, DateTime atUtc) => Add("deadline", reservationId, atUtc);
    public string ScheduleRunCheck(int reservationId, DateTime atUtc) => Add("check", reservationId, atUtc);
    public string EnqueueCleanup(int environmentId) => Add("cleanup", environmentId, clock.GetUtcNow().UtcDateTime);

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

    private string Add(string kind, int argument, DateTime dueUtc)
    {
        lock (_gate)
        {
            var id = $"{kind}-{_instance}-{++_sequence}"; // unique across restarts, like Hangfire's Guid ids
            _jobs.Add(new RecordedJob(id, kind, argument, dueUtc));
            return id;
        }
    }
}
