using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Leases;

/// <summary>How the lease engine watches runs and environments, from <c>LeaseBoard:Leases</c>.</summary>
public sealed class LeaseOptions : IValidatableObject
{
    public const string Section = "LeaseBoard:Leases";

    /// <summary>No progress for this long and the run is hung.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00", ErrorMessage = "LeaseBoard:Leases:HangTimeout must be between 5 seconds and 1 day.")]
    public TimeSpan HangTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a graceful stop may take before the run is force-stopped (and a force stop before the environment is quarantined).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "LeaseBoard:Leases:StopGracePeriod must be between 1 second and 1 hour.")]
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromMinutes(2);

    [Range(1, 10, ErrorMessage = "LeaseBoard:Leases:MaxStartAttempts must be between 1 and 10.")]
    public int MaxStartAttempts { get; set; } = 3;

    /// <summary>Back-off before the second start attempt; doubled for each further one.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "LeaseBoard:Leases:StartRetryDelay must be between 1 second and 10 minutes.")]
    public TimeSpan StartRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Hangfire cron of the supervise pass (six fields: seconds first).</summary>
    [Required(ErrorMessage = "LeaseBoard:Leases:SuperviseCron is required, e.g. \"*/30 * * * * *\".")]
    public string SuperviseCron { get; set; } = "*/30 * * * * *";

    /// <summary>Hangfire cron of the run poll: progress and ends of running tests, between supervise passes (live progress for the wall and the API).</summary>
    [Required(ErrorMessage = "LeaseBoard:Leases:RunPollCron is required, e.g. \"*/5 * * * * *\".")]
    public string RunPollCron { get; set; } = "*/5 * * * * *";

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "LeaseBoard:Leases:HealthCheckInterval must be between 1 second and 1 hour.")]
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A health probe slower than this marks the environment Degraded.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "LeaseBoard:Leases:DegradedLatency must be between 10 ms and 10 minutes.")]
    public TimeSpan DegradedLatency { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1, 100, ErrorMessage = "LeaseBoard:Leases:UnhealthyAfterFailures must be between 1 and 100.")]
    public int UnhealthyAfterFailures { get; set; } = 3;

    /// <summary>A cleanup still unfinished after this long is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "LeaseBoard:Leases:CleanupRetryAfter must be between 5 seconds and 1 hour.")]
    public TimeSpan CleanupRetryAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>A start attempt still unanswered after this long is tried again (the job that made it died).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00", ErrorMessage = "LeaseBoard:Leases:StartingTimeout must be between 5 seconds and 1 hour.")]
    public TimeSpan StartingTimeout { get; set; } = TimeSpan.FromMinutes(2);

    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "LeaseBoard:Leases:HealthHistory must be between 1 minute and 365 days.")]
    public TimeSpan HealthHistory { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often Hangfire looks for due delayed jobs: bounds how late a lease starts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "LeaseBoard:Leases:SchedulePollingInterval must be between 100 ms and 1 minute.")]
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The automatic quarantine looks at an environment's last this many runs (since it last came back into service).</summary>
    [Range(1, 100, ErrorMessage = "LeaseBoard:Leases:AutoQuarantineWindowRuns must be between 1 and 100.")]
    public int AutoQuarantineWindowRuns { get; set; } = 5;

    /// <summary>This many infrastructure failures among those runs quarantine the environment automatically (0: never).</summary>
    [Range(0, 100, ErrorMessage = "LeaseBoard:Leases:AutoQuarantineInfrastructureFailures must be between 0 and 100.")]
    public int AutoQuarantineInfrastructureFailures { get; set; } = 3;

    /// <summary>At most this many framework calls run at once in a supervise pass.</summary>
    [Range(1, 256, ErrorMessage = "LeaseBoard:Leases:MaxParallelCalls must be between 1 and 256.")]
    public int MaxParallelCalls { get; set; } = 16;

    /// <summary>How long a lease or notification job that failed stays on the dashboard (as Deleted, with its exception) before the job storage expires it.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00", ErrorMessage = "LeaseBoard:Leases:FailedJobRetention must be between 1 minute and 365 days.")]
    public TimeSpan FailedJobRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long before each slot its environment is probed (the readiness check): unhealthy → the reservation moves to a
    /// healthy environment free for the slot, else it is marked at risk; the start probes again. 00:00:00 turns both off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "LeaseBoard:Leases:ReadinessLead must be between 00:00:00 (off) and 1 day.")]
    public TimeSpan ReadinessLead { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Run the Hangfire server in this process (turn off for an instance that only serves pages).</summary>
    public bool RunJobServer { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AutoQuarantineInfrastructureFailures > AutoQuarantineWindowRuns)
            yield return new ValidationResult("LeaseBoard:Leases:AutoQuarantineInfrastructureFailures must not exceed AutoQuarantineWindowRuns " +
                                              "(it counts failures among that many runs).", [nameof(AutoQuarantineInfrastructureFailures)]);
    }
}
