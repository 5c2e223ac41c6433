using LeaseBoard.Domain;
using LeaseBoard.Features.Framework;
using LeaseBoard.Tests.TestSupport;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Leases.Crash;

/// <summary>
/// The built app with the Process driver, SIGKILLed while its test process runs, then started again on the same
/// database and run registry: the test process must live on, alone, and end with the lease.
/// </summary>
[Trait("Category", "Crash")]
public sealed class ProcessCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_test_process_survives_a_SIGKILL_of_the_app_is_adopted_alone_and_stopped_at_the_deadline()
    {
        await using var crash = CrashTestApp.Create(FrameworkDriver.Process, output);
        var first = await crash.StartAsync("app-1");
        var api = await crash.ApiAsync(first);
        var booked = await api.BookAsync(CrashTestApp.LeaseEndingSoon("crash test: process", ""));
        await CrashSteps.WhileRunningAsync(api, first, booked.Id, r => r.Run is { State: TestRunState.Running, ProgressPercent: > 0 },
            TimeSpan.FromSeconds(45), "the run is Running with progress > 0");
        var before = (await crash.RunsAsync(booked.Id)).Single();
        var start = Assert.Single(crash.Starts());
        Assert.Equal((CrashTestApp.Environment, before.FencingToken), (start.Environment, start.Token));
        Assert.True(crash.TestProcesses().SequenceEqual([start.Pid]), first.Describe($"Before the crash: {crash.DescribeTestProcesses()}"));

        await first.KillAsync();
        var second = await crash.StartAsync("app-2");
        api = await crash.ApiAsync(second);

        var atRestart = crash.DescribeTestProcesses();
        await CrashSteps.WhileRunningAsync(api, second, booked.Id, r => r.Run is { State: TestRunState.Running } run && run.ProgressPercent > before.ProgressPercent,
            TimeSpan.FromSeconds(45), $"the run goes on past {before.ProgressPercent}% after the restart",
            () => $"when app-2 was ready: {atRestart}; now: {crash.DescribeTestProcesses()}");
        await CrashSteps.AssertAdoptedAsync(crash, second, booked.Id, before);
        Assert.True(crash.TestProcesses().SequenceEqual([start.Pid]) && crash.Starts().Count == 1,
            second.Describe($"After the restart only the test process {start.Pid} of before the crash should live; {crash.DescribeTestProcesses()}"));

        var ended = await CrashSteps.WaitForEndAsync(api, second, booked);
        CrashSteps.AssertTimedOutAtTheDeadline(second, ended);
        try
        {
            await Eventually.TrueAsync(() => crash.TestProcesses().Count == 0, TimeSpan.FromSeconds(10), "no test process is left once the lease ended");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(second.Describe($"{e.Message}: {crash.DescribeTestProcesses()}"));
        }
        await CrashSteps.WaitUntilAvailableAsync(api, second);
        Assert.Contains($"{CrashTestApp.Environment} {before.FencingToken}", File.ReadAllLines(crash.ResetsLog));
    }
}
