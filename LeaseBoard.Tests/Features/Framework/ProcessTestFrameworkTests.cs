using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json.Nodes;
using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Framework;

/// <summary>
/// Runs real processes: the scripts in ./scripts stand for tests, health checks and resets. Process groups
/// and children are checked through /proc, so these tests need Linux (as the driver does).
/// </summary>
public sealed class ProcessTestFrameworkTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly string Scripts = Path.Combine(AppContext.BaseDirectory, "Features", "Framework", "scripts");
    private static readonly DateTime Deadline = new(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("leaseboard-process-tests-");
    private readonly List<ProcessTestFramework> _frameworks = [];

    [Fact]
    public async Task A_run_that_reports_progress_and_exits_0_succeeds_with_progress_100()
    {
        var framework = Create(start: "sh ./progress.sh");
        var startedAfter = DateTime.UtcNow;

        var runId = await framework.StartRunAsync(Request(), default);
        var status = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);

        Assert.Matches("^proc-[0-9]+-[0-9a-f]{8}$", runId);
        Assert.Equal((RunPhase.Succeeded, 100), (status.Phase, status.ProgressPercent));
        Assert.InRange(status.LastActivityUtc!.Value, startedAfter, DateTime.UtcNow);
        Assert.EndsWith("PROGRESS 100\nall checks passed", status.Detail);
        Assert.Empty(await framework.ListActiveRunsAsync(default));
    }

    [Fact]
    public async Task A_run_that_exits_non_zero_fails_with_the_exit_code_and_its_last_output_line()
    {
        var framework = Create(start: "sh ./fail.sh");

        var runId = await framework.StartRunAsync(Request(), default);
        var status = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);

        Assert.Equal((RunPhase.Failed, 20), (status.Phase, status.ProgressPercent));
        Assert.StartsWith("Exited with code 3.", status.Detail);
        Assert.EndsWith("\nboom: the environment refused the connection", status.Detail);
    }

    [Fact]
    public async Task A_hanging_run_is_running_and_active_until_a_graceful_stop_ends_its_process_group_and_further_steps()
    {
        var framework = Create(start: "sh ./hang.sh; echo the next step ran");
        var runId = await framework.StartRunAsync(Request(), default);

        var running = await StatusWhen(framework, runId, s => s.ProgressPercent == 40);
        Assert.Equal((RunPhase.Running, "PROGRESS 40"), (running.Phase, running.Detail));
        Assert.Equal([new ActiveRun("env-1", runId)], await framework.ListActiveRunsAsync(default));
        Assert.True(GroupMembers(GroupOf(runId)).Count >= 2, "the shell and its sleep run in the run's own process group");

        await framework.StopRunAsync("env-1", runId, force: false, default);

        var stopped = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);
        Assert.Equal(RunPhase.Failed, stopped.Phase);
        Assert.StartsWith("Exited with code 143 (killed by SIGTERM).", stopped.Detail);
        Assert.DoesNotContain("the next step ran", stopped.Detail);
        Assert.Empty(await framework.ListActiveRunsAsync(default));
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
    }

    [Fact]
    public async Task A_run_that_ignores_SIGTERM_survives_a_graceful_stop_and_a_force_stop_kills_it_with_its_children()
    {
        var childPidFile = TempFile("child.pid");
        var framework = Create(start: "sh ./stubborn.sh {spec}");
        var runId = await framework.StartRunAsync(Request(spec: childPidFile), default);
        await StatusWhen(framework, runId, s => s.ProgressPercent == 5);
        var child = int.Parse(File.ReadAllText(childPidFile));

        await framework.StopRunAsync("env-1", runId, force: false, default);

        var shrugged = await StatusWhen(framework, runId, s => s.Detail?.EndsWith("ignoring SIGTERM") == true);
        Assert.Equal(RunPhase.Running, shrugged.Phase);
        Assert.True(IsAlive(child), "the background child ignores SIGTERM as well");

        await framework.StopRunAsync("env-1", runId, force: true, default);

        var killed = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);
        Assert.Equal(RunPhase.Failed, killed.Phase);
        Assert.StartsWith("Exited with code 137 (killed by SIGKILL).", killed.Detail);
        await Eventually.TrueAsync(() => !IsAlive(child), Timeout, $"the background child {child} is gone");
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
    }

    [Fact]
    public async Task A_run_is_running_while_a_process_it_left_in_the_background_holds_its_output_and_a_force_stop_ends_it()
    {
        var childPidFile = TempFile("child.pid");
        var framework = Create(start: "sh ./stubborn.sh {spec} & echo left it in the background");
        var runId = await framework.StartRunAsync(Request(spec: childPidFile), default);
        await StatusWhen(framework, runId, s => s.ProgressPercent == 5);
        await Eventually.TrueAsync(() => !IsAlive(GroupOf(runId)), Timeout, "the shell that started the run exited");

        await framework.StopRunAsync("env-1", runId, force: false, default);
        var shrugged = await StatusWhen(framework, runId, s => s.Detail?.EndsWith("ignoring SIGTERM") == true);
        Assert.Equal(RunPhase.Running, shrugged.Phase);
        Assert.Equal([new ActiveRun("env-1", runId)], await framework.ListActiveRunsAsync(default));

        await framework.StopRunAsync("env-1", runId, force: true, default);

        var ended = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);
        Assert.Equal(RunPhase.Succeeded, ended.Phase); // the leader's exit code decides the outcome
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
    }

    [Fact]
    public async Task Stopping_a_run_that_already_exited_does_nothing()
    {
        var framework = Create(start: "sh ./progress.sh");
        var runId = await framework.StartRunAsync(Request(), default);
        await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);

        await framework.StopRunAsync("env-1", runId, force: false, default);
        await framework.StopRunAsync("env-1", runId, force: true, default);

        Assert.Equal(RunPhase.Succeeded, (await framework.GetRunStatusAsync("env-1", runId, default)).Phase);
    }

    [Fact]
    public async Task A_run_is_unknown_to_a_driver_on_another_registry_and_on_another_environment()
    {
        var before = Create(start: "sh ./hang.sh");
        var runId = await before.StartRunAsync(Request(), default);
        var elsewhere = Create(start: "sh ./hang.sh", stateDirectory: TempFile("other-state"));

        Assert.Equal(RunPhase.Unknown, (await elsewhere.GetRunStatusAsync("env-1", runId, default)).Phase);
        Assert.Equal(RunPhase.Unknown, (await before.GetRunStatusAsync("env-2", runId, default)).Phase);
        Assert.Equal(RunPhase.Unknown, (await before.GetRunStatusAsync("env-1", "proc-1-0123abcd", default)).Phase);
        Assert.Empty(await elsewhere.ListActiveRunsAsync(default));
        await elsewhere.StopRunAsync("env-1", runId, force: true, default); // a no-op, not an error
        await before.StopRunAsync("env-2", runId, force: true, default);
        Assert.Equal(RunPhase.Running, (await before.GetRunStatusAsync("env-1", runId, default)).Phase);
    }

    [Fact]
    public async Task Output_lines_are_heartbeats_stamped_by_the_injected_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var startedAt = time.GetUtcNow().UtcDateTime;
        var go = TempFile("go");
        var framework = Create(start: "sh ./heartbeat.sh {spec}", time: time);
        var runId = await framework.StartRunAsync(Request(spec: go), default);

        var first = await StatusWhen(framework, runId, s => s.ProgressPercent == 40);
        Assert.Equal(startedAt, first.LastActivityUtc);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(startedAt, (await framework.GetRunStatusAsync("env-1", runId, default)).LastActivityUtc);
        await File.WriteAllTextAsync(go, "");

        var second = await StatusWhen(framework, runId, s => s.ProgressPercent == 60);
        Assert.Equal((RunPhase.Running, startedAt.AddMinutes(5)), (second.Phase, second.LastActivityUtc));
    }

    [Fact]
    public async Task The_fencing_token_and_the_other_inputs_reach_the_command_as_placeholders_and_environment_variables()
    {
        var framework = Create(start: "sh ./show-inputs.sh {environment} {reservation} {token} {kind} {spec} {deadline}", outputLines: 20);

        var runId = await framework.StartRunAsync(Request(spec: "suite=smoke", token: 7), default);
        var status = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);

        Assert.Equal(RunPhase.Succeeded, status.Phase);
        Assert.Equal(
            [
                "arg=env-1", "arg=42", "arg=7", "arg=Stress", "arg=suite=smoke", "arg=2030-01-02T03:04:05Z",
                "env environment=env-1", "env reservation=42", "env token=7", "env kind=Stress", "env spec=suite=smoke",
                "env deadline=2030-01-02T03:04:05Z",
            ],
            status.Detail!.Split('\n'));
    }

    [Fact]
    public async Task A_spec_with_quotes_and_semicolons_stays_one_literal_word_and_never_runs_as_a_command()
    {
        var marker = TempFile("injected");
        var spec = $"it's \"quoted\"; touch {marker}; $(touch {marker}) `touch {marker}` '; touch {marker}; echo ' \\' # done";
        var framework = Create(start: "sh ./show-inputs.sh {spec}");

        var runId = await framework.StartRunAsync(Request(spec: spec), default);
        var status = await StatusWhen(framework, runId, s => s.Phase != RunPhase.Running);

        Assert.Equal(RunPhase.Succeeded, status.Phase);
        var lines = status.Detail!.Split('\n');
        Assert.Equal($"arg={spec}", lines[0]);
        Assert.Contains($"env spec={spec}", lines);
        Assert.False(File.Exists(marker), "no part of the spec ran as a command");
    }

    [Fact]
    public async Task A_health_command_that_exits_0_reports_healthy_with_its_duration_as_latency()
    {
        var framework = Create(health: "sleep 0.3; echo ok: {environment}");

        var report = await framework.CheckHealthAsync("env-2", default);

        Assert.Equal((HealthStatus.Healthy, "ok: env-2"), (report.Status, report.Detail));
        Assert.InRange(report.Latency, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_health_command_that_fails_reports_unhealthy_with_its_output_including_stderr()
    {
        var framework = Create(health: "echo checking {environment}; echo disk full on $LEASEBOARD_ENVIRONMENT >&2; exit 1");

        var report = await framework.CheckHealthAsync("env-2", default);

        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("The health command exited with code 1. Output:\nchecking env-2\ndisk full on env-2", report.Detail);
    }

    [Fact]
    public async Task Health_latency_is_measured_with_the_injected_clock()
    {
        var framework = Create(health: "true", time: new SteppingClock(TimeSpan.FromSeconds(7)));

        var report = await framework.CheckHealthAsync("env-1", default);

        Assert.Equal((HealthStatus.Healthy, TimeSpan.FromSeconds(7)), (report.Status, report.Latency));
    }

    [Theory]
    [InlineData("health")]
    [InlineData("reset")]
    public async Task A_cancelled_health_check_or_reset_kills_its_command_with_its_children(string operation)
    {
        var pidFile = TempFile("slow.pid");
        var command = "sh ./slow-command.sh " + Quoted(pidFile);
        var framework = Create(health: command, reset: command);
        using var cancel = new CancellationTokenSource();

        Task call = operation == "health"
            ? framework.CheckHealthAsync("env-1", cancel.Token)
            : framework.ResetEnvironmentAsync("env-1", 1, cancel.Token);
        var child = await Eventually.MatchesAsync(() => Task.FromResult(ReadPid(pidFile)), pid => pid is not null, Timeout, "the command's child pid");
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Eventually.TrueAsync(() => !IsAlive(child!.Value), Timeout, $"the command's child {child} is gone");
    }

    [Fact]
    public async Task A_reset_runs_the_reset_command_with_the_environment_and_fencing_token()
    {
        var record = TempFile("reset.txt");
        var framework = Create(reset: "sh ./reset.sh {environment} {token} " + Quoted(record));

        await framework.ResetEnvironmentAsync("env-3", 9, default);

        Assert.Equal("env-3 9 9", (await File.ReadAllTextAsync(record)).Trim());
    }

    [Fact]
    public async Task A_failing_reset_throws_with_the_exit_code_and_output()
    {
        var framework = Create(reset: "echo cannot drop the database of {environment}; exit 4");

        var error = await Assert.ThrowsAsync<TestFrameworkException>(() => framework.ResetEnvironmentAsync("env-1", 1, default));

        Assert.Equal("The reset of env-1 exited with code 4. Output:\ncannot drop the database of env-1", error.Message);
    }

    [Fact]
    public async Task A_start_or_reset_with_a_token_older_than_the_newest_seen_is_refused()
    {
        var framework = Create(start: "sh ./progress.sh");
        await framework.ResetEnvironmentAsync("env-1", 5, default);

        var stale = await Assert.ThrowsAsync<StaleFencingTokenException>(() => framework.StartRunAsync(Request(token: 4), default));
        Assert.Equal((4, 5), (stale.Token, stale.Newest));
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => framework.ResetEnvironmentAsync("env-1", 4, default));
        Assert.Empty(await framework.ListActiveRunsAsync(default));

        await framework.StartRunAsync(Request(token: 5), default); // the same lease may start its test
        await framework.StartRunAsync(Request(token: 6), default);
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => framework.ResetEnvironmentAsync("env-1", 5, default));
        await framework.ResetEnvironmentAsync("env-2", 1, default); // tokens are per environment
    }

    [Fact]
    public async Task Disposing_the_framework_releases_it_but_leaves_running_tests_alone()
    {
        var framework = Create(start: "sh ./hang.sh");
        var runId = await framework.StartRunAsync(Request(), default);
        await StatusWhen(framework, runId, s => s.ProgressPercent == 40);
        var group = GroupOf(runId);
        try
        {
            await framework.DisposeAsync();

            Assert.True(IsAlive(group), "the run's shell still runs");
            Assert.True(GroupMembers(group).Count >= 2, "and so does its sleep");
        }
        finally
        {
            using var kill = Process.Start("kill", ["-KILL", "--", $"-{group}"]);
            await kill.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_running_run_is_adopted_after_a_restart_and_its_progress_goes_on_in_the_only_test_process()
    {
        var go = TempFile("go");
        var startedAfter = DateTime.UtcNow.AddSeconds(-1);
        var before = Create(start: "sh ./heartbeat.sh {spec}");
        var runId = await before.StartRunAsync(Request(spec: go), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 40);
        await before.DisposeAsync();

        var after = Create(start: "sh ./heartbeat.sh {spec}");
        var adopted = await after.GetRunStatusAsync("env-1", runId, default);

        Assert.Equal((RunPhase.Running, 40, "PROGRESS 40"), (adopted.Phase, adopted.ProgressPercent, adopted.Detail));
        Assert.InRange(adopted.LastActivityUtc!.Value, startedAfter, DateTime.UtcNow); // the log's last write, before the restart
        Assert.Equal([new ActiveRun("env-1", runId)], await after.ListActiveRunsAsync(default));
        await File.WriteAllTextAsync(go, "");
        var resumed = await StatusWhen(after, runId, s => s.ProgressPercent == 60);
        Assert.Equal(RunPhase.Running, resumed.Phase);
        Assert.Equal([GroupOf(runId)], TestGroups(go));
        Assert.Single(RunFolders());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_run_that_ended_while_the_app_was_down_reports_the_exit_code_its_shell_recorded(int exitCode)
    {
        var go = TempFile("go");
        var before = Create(start: $"sh ./wait-then-exit.sh {{spec}} {exitCode}");
        var runId = await before.StartRunAsync(Request(spec: go), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 30);
        await before.DisposeAsync();
        await File.WriteAllTextAsync(go, "");
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run ended");

        var after = Create(start: "sh ./wait-then-exit.sh {spec}");
        var status = await after.GetRunStatusAsync("env-1", runId, default);

        if (exitCode == 0)
        {
            Assert.Equal((RunPhase.Succeeded, 100), (status.Phase, status.ProgressPercent));
            Assert.EndsWith("finishing with 0", status.Detail);
        }
        else
        {
            Assert.Equal((RunPhase.Failed, 30), (status.Phase, status.ProgressPercent));
            Assert.StartsWith("Exited with code 3.", status.Detail);
            Assert.EndsWith("\nfinishing with 3", status.Detail);
        }
        Assert.Empty(await after.ListActiveRunsAsync(default));
    }

    [Fact]
    public async Task A_graceful_stop_after_a_restart_ends_the_adopted_run_and_empties_its_process_group()
    {
        var before = Create(start: "sh ./hang.sh; echo the next step ran");
        var runId = await before.StartRunAsync(Request(), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 40);
        await before.DisposeAsync();

        var after = Create(start: "sh ./hang.sh");
        await after.StopRunAsync("env-1", runId, force: false, default);

        var stopped = await StatusWhen(after, runId, s => s.Phase != RunPhase.Running);
        Assert.Equal(RunPhase.Failed, stopped.Phase);
        Assert.StartsWith("Exited with code 143 (killed by SIGTERM).", stopped.Detail);
        Assert.DoesNotContain("the next step ran", stopped.Detail);
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
        Assert.Empty(await after.ListActiveRunsAsync(default));
    }

    [Fact]
    public async Task A_force_stop_after_a_restart_kills_an_adopted_run_that_ignores_SIGTERM_and_its_end_says_so()
    {
        var childPidFile = TempFile("child.pid");
        var before = Create(start: "sh ./stubborn.sh {spec}");
        var runId = await before.StartRunAsync(Request(spec: childPidFile), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 5);
        var child = int.Parse(File.ReadAllText(childPidFile));
        await before.DisposeAsync();

        var after = Create(start: "sh ./stubborn.sh {spec}");
        await after.StopRunAsync("env-1", runId, force: false, default);
        var shrugged = await StatusWhen(after, runId, s => s.Detail?.EndsWith("ignoring SIGTERM") == true);
        Assert.Equal(RunPhase.Running, shrugged.Phase);

        await after.StopRunAsync("env-1", runId, force: true, default);

        var killed = await StatusWhen(after, runId, s => s.Phase != RunPhase.Running);
        Assert.Equal(RunPhase.Failed, killed.Phase);
        Assert.StartsWith("Killed by a force stop (SIGKILL).", killed.Detail);
        await Eventually.TrueAsync(() => !IsAlive(child), Timeout, $"the background child {child} is gone");
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
    }

    [Fact]
    public async Task A_second_start_with_the_same_token_returns_the_same_run_from_the_same_driver_and_after_a_restart()
    {
        var marker = $"once-{Guid.NewGuid():N}";
        var before = Create(start: "sh ./hang.sh {spec}");
        var runId = await before.StartRunAsync(Request(spec: marker, token: 3), default);

        Assert.Equal(runId, await before.StartRunAsync(Request(spec: marker, token: 3), default));
        await before.DisposeAsync();
        var after = Create(start: "sh ./hang.sh {spec}");
        Assert.Equal(runId, await after.StartRunAsync(Request(spec: marker, token: 3), default));

        await StatusWhen(after, runId, s => s.ProgressPercent == 40);
        Assert.Equal([GroupOf(runId)], TestGroups(marker));
        Assert.Single(RunFolders());
    }

    [Fact]
    public async Task Concurrent_starts_with_the_same_token_from_two_drivers_start_one_test()
    {
        var marker = $"once-{Guid.NewGuid():N}";
        var one = Create(start: "sh ./hang.sh {spec}");
        var other = Create(start: "sh ./hang.sh {spec}");

        var ids = await Task.WhenAll(
            Task.Run(() => one.StartRunAsync(Request(spec: marker, token: 3), default)),
            Task.Run(() => other.StartRunAsync(Request(spec: marker, token: 3), default)),
            Task.Run(() => one.StartRunAsync(Request(spec: marker, token: 3), default)),
            Task.Run(() => other.StartRunAsync(Request(spec: marker, token: 3), default)));

        var runId = Assert.Single(ids.Distinct());
        await StatusWhen(other, runId, s => s.ProgressPercent == 40);
        Assert.Equal([GroupOf(runId)], TestGroups(marker));
        Assert.Single(RunFolders());
    }

    [Fact]
    public async Task A_start_whose_driver_died_before_recording_the_process_is_recognised_from_the_pid_its_shell_wrote()
    {
        var marker = $"once-{Guid.NewGuid():N}";
        var before = Create(start: "sh ./hang.sh {spec}");
        var runId = await before.StartRunAsync(Request(spec: marker, token: 2), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 40);
        await before.DisposeAsync();
        EditRecord(runId, run => run["runId"] = run["processGroup"] = run["startTime"] = null); // as if the app died right after the spawn

        var after = Create(start: "sh ./hang.sh {spec}");

        Assert.Equal(runId, await after.StartRunAsync(Request(spec: marker, token: 2), default));
        Assert.Equal(RunPhase.Running, (await after.GetRunStatusAsync("env-1", runId, default)).Phase);
        Assert.Equal([GroupOf(runId)], TestGroups(marker));
    }

    [Fact]
    public async Task A_recorded_start_that_never_got_a_process_is_started_by_a_later_start_with_its_token_once_it_is_old()
    {
        var before = Create(start: "sh ./progress.sh");
        var recorded = await before.StartRunAsync(Request(token: 2), default);
        await StatusWhen(before, recorded, s => s.Phase != RunPhase.Running);
        await before.DisposeAsync();
        // As if the app died between recording the run and spawning it.
        foreach (var file in (string[])["pid", "exit-code", "output.log"]) File.Delete(Path.Combine(RunDirectory(recorded), file));
        EditRecord(recorded, run =>
        {
            run["runId"] = run["processGroup"] = run["startTime"] = run["finishedUtc"] = null;
            run["createdUtc"] = DateTime.UtcNow;
        });
        var after = Create(start: "sh ./progress.sh");

        var tooSoon = await Assert.ThrowsAsync<TestFrameworkException>(() => after.StartRunAsync(Request(token: 2), default));
        Assert.Contains("try again shortly", tooSoon.Message);

        EditRecord(recorded, run => run["createdUtc"] = DateTime.UtcNow.AddMinutes(-1));
        var runId = await after.StartRunAsync(Request(token: 2), default);

        Assert.NotEqual(recorded, runId);
        Assert.EndsWith(recorded[recorded.LastIndexOf('-')..], runId); // the same record, now with its process
        Assert.Equal(RunPhase.Succeeded, (await StatusWhen(after, runId, s => s.Phase != RunPhase.Running)).Phase);
        Assert.Single(RunFolders());
    }

    [Fact]
    public async Task A_token_older_than_the_newest_seen_before_a_restart_is_refused_for_start_and_reset()
    {
        var before = Create();
        await before.ResetEnvironmentAsync("env-1", 5, default);
        await before.DisposeAsync();

        var after = Create();

        var stale = await Assert.ThrowsAsync<StaleFencingTokenException>(() => after.StartRunAsync(Request(token: 4), default));
        Assert.Equal((4, 5), (stale.Token, stale.Newest));
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => after.ResetEnvironmentAsync("env-1", 4, default));
        Assert.Empty(RunFolders());

        await after.StartRunAsync(Request(token: 6), default);
        var later = Create();
        await Assert.ThrowsAsync<StaleFencingTokenException>(() => later.ResetEnvironmentAsync("env-1", 5, default));
        await later.ResetEnvironmentAsync("env-1", 6, default);
    }

    [Fact]
    public async Task A_run_whose_processes_vanished_without_an_exit_code_is_unknown_after_a_restart()
    {
        var before = Create(start: "sh ./hang.sh");
        var runId = await before.StartRunAsync(Request(), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 40);
        await before.DisposeAsync();
        await KillGroup(GroupOf(runId)); // killed behind LeaseBoard's back: its shell had no last word
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");

        var after = Create(start: "sh ./hang.sh");
        var status = await after.GetRunStatusAsync("env-1", runId, default);

        Assert.Equal(RunPhase.Unknown, status.Phase);
        Assert.StartsWith($"Run {runId} is gone without an exit code", status.Detail);
        Assert.Empty(await after.ListActiveRunsAsync(default));
        await after.StopRunAsync("env-1", runId, force: true, default); // nothing to stop, so no force stop to explain it
        Assert.Equal(RunPhase.Unknown, (await after.GetRunStatusAsync("env-1", runId, default)).Phase);
    }

    [Fact]
    public async Task A_record_pointing_at_a_process_with_another_start_time_is_not_alive_and_that_process_is_never_signalled()
    {
        var before = Create(start: "sh ./hang.sh");
        var runId = await before.StartRunAsync(Request(), default);
        await StatusWhen(before, runId, s => s.ProgressPercent == 40);
        await before.DisposeAsync();
        await KillGroup(GroupOf(runId));
        await Eventually.TrueAsync(() => GroupMembers(GroupOf(runId)).Count == 0, Timeout, "the run's process group is empty");
        using var stranger = Process.Start("setsid", ["sleep", "300"]); // leads a group of its own, as a reused pid would
        try
        {
            await Eventually.TrueAsync(() => Stat(stranger.Id) is { Group: var group } && group == stranger.Id, Timeout, "the stranger leads its group");
            EditRecord(runId, run =>
            {
                run["processGroup"] = stranger.Id;
                run["startTime"] = Stat(stranger.Id)!.Value.StartTime + 1;
            });

            var after = Create(start: "sh ./hang.sh");
            Assert.NotEqual(RunPhase.Running, (await after.GetRunStatusAsync("env-1", runId, default)).Phase);
            Assert.Empty(await after.ListActiveRunsAsync(default));
            await after.StopRunAsync("env-1", runId, force: false, default);
            await after.StopRunAsync("env-1", runId, force: true, default);

            Assert.True(IsAlive(stranger.Id), "the unrelated process survived both stops");
            Assert.False(stranger.HasExited);
        }
        finally
        {
            stranger.Kill();
            await stranger.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Finished_runs_are_forgotten_after_the_retention_but_their_fencing_tokens_are_not()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var framework = Create(start: "sh ./progress.sh", time: time);
        var finished = await framework.StartRunAsync(Request(token: 5), default);
        await StatusWhen(framework, finished, s => s.Phase == RunPhase.Succeeded);
        var running = await framework.StartRunAsync(Request(token: 1) with { EnvironmentKey = "env-2" }, default);

        time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await framework.StartRunAsync(Request(token: 1) with { EnvironmentKey = "env-3" }, default);

        Assert.False(Directory.Exists(RunDirectory(finished)), "the finished run's folder is gone");
        Assert.Equal(RunPhase.Unknown, (await framework.GetRunStatusAsync("env-1", finished, default)).Phase);
        Assert.True(Directory.Exists(RunDirectory(running)), "a run nobody saw end is kept a retention from now");
        var stale = await Assert.ThrowsAsync<StaleFencingTokenException>(() => Create(time: time).StartRunAsync(Request(token: 4), default));
        Assert.Equal(5, stale.Newest);
    }

    [Fact]
    public async Task A_driver_without_a_state_directory_says_which_setting_is_missing()
    {
        var options = new ProcessFrameworkOptions { StartCommand = "sh ./progress.sh", HealthCommand = "true", ResetCommand = "true" };
        Assert.Empty(Validate(options)); // the app's setup fills a default; only the driver insists
        await using var framework = new ProcessTestFramework(Options.Create(options), TimeProvider.System, NullLogger<ProcessTestFramework>.Instance);

        var start = await Assert.ThrowsAsync<TestFrameworkException>(() => framework.StartRunAsync(Request(), default));
        var reset = await Assert.ThrowsAsync<TestFrameworkException>(() => framework.ResetEnvironmentAsync("env-1", 1, default));

        Assert.StartsWith("LeaseBoard:Framework:Process:StateDirectory is not set", start.Message);
        Assert.Equal(start.Message, reset.Message);
    }

    [Fact]
    public void Options_name_the_setting_that_is_missing_or_unsafe()
    {
        var missing = Validate(new ProcessFrameworkOptions());
        Assert.Contains(missing, e => e.StartsWith("LeaseBoard:Framework:Process:StartCommand is required"));
        Assert.Contains(missing, e => e.StartsWith("LeaseBoard:Framework:Process:HealthCommand is required"));
        Assert.Contains(missing, e => e.StartsWith("LeaseBoard:Framework:Process:ResetCommand is required"));

        var unsafeOrUnavailable = Validate(new ProcessFrameworkOptions
        {
            StartCommand = "run-test \"{spec}\"", HealthCommand = "check {spec}", ResetCommand = "reset ${token}",
        });
        Assert.Equal(3, unsafeOrUnavailable.Count);
        Assert.Contains(unsafeOrUnavailable, e => e.StartsWith("LeaseBoard:Framework:Process:StartCommand has {spec} inside quotes"));
        Assert.Contains(unsafeOrUnavailable, e => e.StartsWith("LeaseBoard:Framework:Process:HealthCommand cannot use {spec}; it offers only {environment}."));
        Assert.Contains(unsafeOrUnavailable, e => e.StartsWith("LeaseBoard:Framework:Process:ResetCommand has {token} inside quotes or after '$'"));

        Assert.Empty(Validate(new ProcessFrameworkOptions
        {
            StartCommand = "run-test --spec {spec} --until {deadline} '{not a placeholder}' && echo \"${HOME}\"",
            HealthCommand = "check {environment}", ResetCommand = "reset {environment} --token {token}",
        }));
    }

    [Fact]
    public async Task A_quoted_placeholder_is_refused_even_when_the_options_were_not_validated()
    {
        var options = new ProcessFrameworkOptions
        {
            StartCommand = "sh ./show-inputs.sh '{spec}'", HealthCommand = "true", ResetCommand = "true", StateDirectory = StateDirectory,
        };
        var framework = new ProcessTestFramework(Options.Create(options), TimeProvider.System, NullLogger<ProcessTestFramework>.Instance);
        _frameworks.Add(framework);

        var error = await Assert.ThrowsAsync<TestFrameworkException>(() => framework.StartRunAsync(Request(spec: "'; reboot; '"), default));

        Assert.Contains("StartCommand cannot be used", error.Message);
        Assert.Empty(await framework.ListActiveRunsAsync(default));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Whatever a failing test left running dies here, with its whole process group.</summary>
    public async Task DisposeAsync()
    {
        foreach (var framework in _frameworks)
        {
            foreach (var run in await framework.ListActiveRunsAsync(default))
            {
                await framework.StopRunAsync(run.EnvironmentKey, run.RunId, force: true, default);
                // Until then the driver that started it may still be recording its exit code in the folder deleted below.
                await Eventually.MatchesAsync(() => framework.GetRunStatusAsync(run.EnvironmentKey, run.RunId, default),
                    s => s.Phase != RunPhase.Running, Timeout, $"The end of {run.RunId}");
            }
        }
        foreach (var framework in _frameworks) await framework.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    /// <summary>A new driver on the test's registry: a second one stands for the app after a restart.</summary>
    private ProcessTestFramework Create(
        string start = "sh ./progress.sh", string health = "true", string reset = "true", TimeProvider? time = null, int outputLines = 10,
        string? stateDirectory = null)
    {
        var options = new ProcessFrameworkOptions
        {
            StartCommand = start, HealthCommand = health, ResetCommand = reset, WorkingDirectory = Scripts, OutputLines = outputLines,
            StateDirectory = stateDirectory ?? StateDirectory,
        };
        Assert.Empty(Validate(options));
        var framework = new ProcessTestFramework(Options.Create(options), time ?? TimeProvider.System, NullLogger<ProcessTestFramework>.Instance);
        _frameworks.Add(framework);
        return framework;
    }

    private static StartRunRequest Request(string spec = "smoke", long token = 1) =>
        new("env-1", 42, token, TestKind.Stress, spec, Deadline);

    private static Task<RunStatus> StatusWhen(ProcessTestFramework framework, string runId, Func<RunStatus, bool> until) =>
        Eventually.MatchesAsync(() => framework.GetRunStatusAsync("env-1", runId, default), until, Timeout, $"The status of {runId}");

    private static List<string> Validate(ProcessFrameworkOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    private string StateDirectory => Path.Combine(_temp.FullName, "state");

    /// <summary>The registry's folder of a run: runs/&lt;key&gt;, the key being the last part of its id.</summary>
    private string RunDirectory(string runId) => Path.Combine(StateDirectory, "runs", runId[(runId.LastIndexOf('-') + 1)..]);

    private string[] RunFolders() =>
        Directory.Exists(Path.Combine(StateDirectory, "runs")) ? Directory.GetDirectories(Path.Combine(StateDirectory, "runs")) : [];

    /// <summary>Changes a run's run.json as a crash or a reused pid would leave it.</summary>
    private void EditRecord(string runId, Action<JsonObject> edit)
    {
        var path = Path.Combine(RunDirectory(runId), "run.json");
        var run = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(run);
        File.WriteAllText(path, run.ToJsonString());
    }

    private static async Task KillGroup(int group)
    {
        using var kill = Process.Start("kill", ["-KILL", "--", $"-{group}"]);
        await kill.WaitForExitAsync();
    }

    /// <summary>
    /// The process groups of live processes with this exact argument: of the test processes runs started (not of
    /// the shells that started them, whose argument is the whole command). Each run leads a group of its own, so
    /// a second test is a second group; counting processes would also count a shell's fork before it execs.
    /// </summary>
    private static List<int> TestGroups(string argument) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && IsAlive(pid) && CommandLine(pid).Contains(argument))
            .Select(pid => Stat(pid)?.Group ?? 0).Where(group => group != 0).Distinct()
            .ToList();

    private static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private string TempFile(string name) => Path.Combine(_temp.FullName, name);

    private static string Quoted(string path) => "'" + path.Replace("'", @"'\''") + "'";

    private static int? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file), out var pid) ? pid : null;

    /// <summary>A run leads its own process group, so the group id is the pid in its run id.</summary>
    private static int GroupOf(string runId) => int.Parse(runId.Split('-')[1]);

    private static bool IsAlive(int pid) => Stat(pid) is { State: not ('Z' or 'X') };

    private static List<int> GroupMembers(int group) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && Stat(pid) is { State: not ('Z' or 'X') } stat && stat.Group == group)
            .ToList();

    /// <summary>State, process group and start time from /proc/&lt;pid&gt;/stat, or null once the process is gone.</summary>
    private static (char State, int Group, long StartTime)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[2]), long.Parse(fields[19]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A clock whose every timestamp read is one step later than the previous one.</summary>
    private sealed class SteppingClock(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks);
    }
}
