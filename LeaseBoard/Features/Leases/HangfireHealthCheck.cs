using Hangfire;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Features.Leases;

/// <summary>Ready only when a Hangfire server is alive to run the lease jobs (or none is meant to run here).</summary>
public sealed class HangfireHealthCheck(JobStorage storage, IOptions<LeaseOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.RunJobServer)
            return Task.FromResult(HealthCheckResult.Healthy("This instance runs no job server."));
        var servers = storage.GetMonitoringApi().Servers();
        return Task.FromResult(servers.Count > 0
            ? HealthCheckResult.Healthy($"{servers.Count} Hangfire server(s) alive.")
            : HealthCheckResult.Unhealthy("No Hangfire server is running: leases will not start."));
    }
}
