using Hangfire.States;
using Hangfire.Storage;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>
/// Lets failed jobs expire. Hangfire keeps a Failed job forever: Failed is not a final state, and its state machine
/// persists a job in a non-final state after every filter has run, so no filter can give a Failed job an expiry.
/// Our jobs, whose retries are off, therefore end a failure in Deleted instead
/// (<c>AutomaticRetry(OnAttemptsExceeded = AttemptsExceededAction.Delete)</c>, which keeps the exception in the state
/// and says "Retries were disabled for this job."), and this filter keeps such a job for
/// <see cref="LeaseOptions.FailedJobRetention"/> instead of the storage's one day; then the storage expires it.
/// A job deleted by hand or by a reschedule carries no exception and keeps the default.
/// </summary>
public sealed class FailedJobExpiry(IOptionsMonitor<LeaseOptions> options) : IApplyStateFilter
{
    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        // Read by the state machine after the filters, when it expires a job in a final state.
        if (context.NewState is DeletedState { ExceptionInfo: not null })
            context.JobExpirationTimeout = options.CurrentValue.FailedJobRetention;
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }
}
