using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Framework;

/// <summary>
/// The simulated framework lives outside LeaseBoard: each test makes a second framework object on the same
/// store file, as a restarted app (or a second instance) would, and nothing of the first object's memory helps it.
/// </summary>
public sealed class SimulatedTestFrameworkTests : IDisposable
{
    private static readonly DateTime Start = new(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("leaseboard-simulated-");
    private readonly FakeTimeProvider _clock = new(Start);

    private SimulatedTestFramework NewFramework(Dictionary<string, FaultProfile>? faults = null) => new(Options.Create(new SimulatedFrameworkOptions
    {
        StatePath = Path.Combine(_folder.FullName, "simulated-framework.db"), BaseHealthLatencyMs = 0, Faults = faults ?? [],
    }), _clock);

    private static StartRunRequest Request(string environment, long token, string spec = "duration=60") =>
        new(environment, 1, token, TestKind.Load, spec, Start.AddHours(2));

    [Fact]
    public async Task A_new_framework_object_on_the_same_store_knows_the_run_and_its_progress_went_on_meanwhile()
    {
        var before = NewFramework();
        var runId = await before.StartRunAsync(Request("env-1", 3), default);
        _clock.Advance(TimeSpan.FromMinutes(12)); // the app is down for a while

        var after = NewFramework();

        var status = await after.GetRunStatusAsync("env-1", runId, default);
        Assert.Equal((RunPhase.Running, 20), (status.Phase, status.ProgressPercent));
        Assert.Equal([new ActiveRun("env-1", runId)], await after.ListActiveRunsAsync(default));
        await after.StopRunAsync("env-1", runId, force: false, default);
        Assert.Equal(RunPhase.Failed, (await before.GetRunStatusAsync("env-1", runId, default)).Phase); // both see one truth
    }

    [Fact]
    public async Task Start_is_idempotent_by_environment_and_token_across_objects_and_concurrent_callers()
    {
        var first = NewFramework();
        var id = await first.StartRunAsync(Request("env-2", 5), default);

        Assert.Equal(id, await NewFramework().StartRunAsync(Request("env-2", 5), default));
        var frameworks = Enumerable.Range(0, 6).Select(_ => NewFramework()).ToList();
        var concurrent = await Task.WhenAll(frameworks.Select(f => Task.Run(() => f.StartRunAsync(Request("env-3", 1), default))));

        Assert.Single(concurrent.Distinct());
        Assert.Equal(2, (await first.ListActiveRunsAsync(default)).Count);
    }

    [Fact]
    public async Task A_token_older_than_the_newest_is_refused_after_a_restart_for_start_and_reset()
    {
        await NewFramework().StartRunAsync(Request("env-1", 8), default);

        var restarted = NewFramework();

        var start = await Assert.ThrowsAsync<StaleFencingTokenException>(() => restarted.StartRunAsync(Request("env-1", 7), default));
        Assert.Equal((7L, 8L), (start.Token, start.Newest));
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => restarted.ResetEnvironmentAsync("env-1", 6, default));
        await restarted.ResetEnvironmentAsync("env-1", 8, default);
        Assert.Empty(await restarted.ListActiveRunsAsync(default));
    }

    [Fact]
    public async Task Injected_faults_and_a_hang_outlive_the_object_that_set_them_and_override_configuration()
    {
        var configured = new Dictionary<string, FaultProfile> { ["env-4"] = FaultProfile.None with { FailHealth = true } };
        var admin = NewFramework(configured);
        Assert.Equal(HealthStatus.Unhealthy, (await admin.CheckHealthAsync("env-4", default)).Status);
        admin.SetFaults("env-4", FaultProfile.None with { FailStart = true });
        var runId = await admin.StartRunAsync(Request("env-5", 1), default);
        _clock.Advance(TimeSpan.FromMinutes(6));
        Assert.True(admin.HangCurrentRun("env-5"));

        var restarted = NewFramework(configured);
        _clock.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(HealthStatus.Healthy, (await restarted.CheckHealthAsync("env-4", default)).Status);
        await Assert.ThrowsAsync<TestFrameworkException>(() => restarted.StartRunAsync(Request("env-4", 1), default));
        var hung = await restarted.GetRunStatusAsync("env-5", runId, default);
        Assert.Equal((RunPhase.Running, 10, Start.AddMinutes(6)), (hung.Phase, hung.ProgressPercent, hung.LastActivityUtc));
        await restarted.StopRunAsync("env-5", runId, force: false, default); // a hung test ignores a polite stop
        Assert.Equal(RunPhase.Running, (await restarted.GetRunStatusAsync("env-5", runId, default)).Phase);
        await restarted.StopRunAsync("env-5", runId, force: true, default);
        Assert.Equal("Killed by a force stop.", (await admin.GetRunStatusAsync("env-5", runId, default)).Detail);
    }

    [Fact]
    public async Task A_run_that_finished_while_nobody_asked_reports_its_outcome_and_an_unknown_id_is_unknown()
    {
        var framework = NewFramework(new() { ["env-2"] = FaultProfile.None with { CrashAtPercent = 50 } });
        var passes = await framework.StartRunAsync(Request("env-1", 1, "duration=30"), default);
        var crashes = await framework.StartRunAsync(Request("env-2", 1, "duration=30"), default);
        _clock.Advance(TimeSpan.FromHours(1));

        var restarted = NewFramework();
        Assert.Equal((RunPhase.Succeeded, 100, Start.AddMinutes(30)), Summary(await restarted.GetRunStatusAsync("env-1", passes, default)));
        Assert.Equal((RunPhase.Failed, 50, Start.AddMinutes(15)), Summary(await restarted.GetRunStatusAsync("env-2", crashes, default)));
        Assert.Equal(RunPhase.Unknown, (await restarted.GetRunStatusAsync("env-1", "sim-env-1-99", default)).Phase);
        Assert.Equal(RunPhase.Unknown, (await restarted.GetRunStatusAsync("env-3", passes, default)).Phase); // not that environment's
    }

    private static (RunPhase, int, DateTime?) Summary(RunStatus status) => (status.Phase, status.ProgressPercent, status.LastActivityUtc);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { _folder.Delete(recursive: true); } catch (IOException) { }
    }
}

public sealed class FaultProfileTests
{
    [Fact]
    public void A_fault_profile_reads_as_a_sentence()
    {
        Assert.Equal("no faults", FaultProfile.None.Describe());
        Assert.Equal("hangs at 40 %, crashes at 60 %, every start fails, health checks take 300 ms longer, health checks fail, resets fail, stops go unanswered",
            new FaultProfile { HangAtPercent = 40, CrashAtPercent = 60, FailStart = true, HealthLatencyMs = 300, FailHealth = true, FailReset = true, UnresponsiveStop = true }.Describe());
    }
}
