using System.Diagnostics;
using LeaseBoard.Features.Api;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>The README's "Use from CI" script, run for real against the shared app with its job server and the simulated framework.</summary>
[Collection(SharedAppCollection.Name)]
public sealed class CiScriptTests(SharedAppFixture app, ITestOutputHelper output)
{
    [SkippableFact]
    public async Task The_ci_script_books_the_earliest_slot_follows_the_run_and_exits_with_the_outcome()
    {
        Skip.If(!File.Exists("/usr/bin/jq") && Environment.GetEnvironmentVariable("CI") != "true", "The CI script needs jq (apt-get install jq); it is not installed here.");
        var (created, _) = await app.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync(new Domain.Actor("local:ci-bot", "CI bot", false), "ci script test", Domain.ApiScope.Book, 1);
        var script = Path.Combine(RepositoryRoot.Find(), "LeaseBoard", "wwwroot", "scripts", "leaseboard-run.sh");

        // A six-second simulated test in a 20-minute slot: passes, well before its slot ends.
        var (exitCode, stdout, stderr) = await RunAsync(script, created!.Token, "--duration", "20", "--title", "CI script run", "--spec", "duration=0.1");

        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("Booked reservation", stdout);
        Assert.Contains("Passed: Test passed.", stdout);
    }

    [SkippableFact]
    public async Task The_ci_script_exits_2_with_the_reason_when_the_booking_is_refused()
    {
        Skip.If(!File.Exists("/usr/bin/jq") && Environment.GetEnvironmentVariable("CI") != "true", "The CI script needs jq (apt-get install jq); it is not installed here.");
        var (created, _) = await app.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync(new Domain.Actor("local:ci-bot-2", "CI bot 2", false), "ci script test", Domain.ApiScope.Book, 1);
        var script = Path.Combine(RepositoryRoot.Find(), "LeaseBoard", "wwwroot", "scripts", "leaseboard-run.sh");

        var (exitCode, _, stderr) = await RunAsync(script, created!.Token, "--duration", "500");

        Assert.Equal(2, exitCode);
        Assert.Contains("LeaseBoard answered 422", stderr);
    }

    [SkippableFact]
    public async Task With_queue_the_ci_script_waits_in_the_queue_until_placed_then_follows_the_run_and_exits_with_the_outcome()
    {
        Skip.If(!File.Exists("/usr/bin/jq") && Environment.GetEnvironmentVariable("CI") != "true", "The CI script needs jq (apt-get install jq); it is not installed here.");
        var (created, _) = await app.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync(new Domain.Actor("local:ci-bot-3", "CI bot 3", false), "ci script test", Domain.ApiScope.Book, 1);
        var script = Path.Combine(RepositoryRoot.Find(), "LeaseBoard", "wwwroot", "scripts", "leaseboard-run.sh");

        var (exitCode, stdout, stderr) = await RunAsync(script, created!.Token, "--queue", "--duration", "20", "--title", "CI queued run", "--spec", "duration=0.1");

        output.WriteLine(stdout);
        output.WriteLine(stderr);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("Queued entry", stdout);
        Assert.Contains("Placed as reservation", stdout);
        Assert.Contains("Passed: Test passed.", stdout);
    }

    [SkippableFact]
    public async Task With_queue_the_ci_script_exits_2_with_the_reason_when_the_entry_is_refused()
    {
        Skip.If(!File.Exists("/usr/bin/jq") && Environment.GetEnvironmentVariable("CI") != "true", "The CI script needs jq (apt-get install jq); it is not installed here.");
        var (created, _) = await app.Services.GetRequiredService<ApiTokenService>()
            .CreateAsync(new Domain.Actor("local:ci-bot-4", "CI bot 4", false), "ci script test", Domain.ApiScope.Book, 1);
        var script = Path.Combine(RepositoryRoot.Find(), "LeaseBoard", "wwwroot", "scripts", "leaseboard-run.sh");

        var (exitCode, _, stderr) = await RunAsync(script, created!.Token, "--queue", "--duration", "30", "--finish-by", DateTime.UtcNow.AddMinutes(5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));

        Assert.Equal(2, exitCode);
        Assert.Contains("LeaseBoard answered 422", stderr);
        Assert.Contains("cannot be met", stderr);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, string token, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["LEASEBOARD_URL"] = app.BaseAddress.ToString().TrimEnd('/');
        start.Environment["LEASEBOARD_TOKEN"] = token;
        start.Environment["LEASEBOARD_QUEUE_POLL_SECONDS"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            var monitoring = app.Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
            var failed = string.Join("\n", monitoring.FailedJobs(0, 10).Select(j => $"{j.Value.Job?.Method.Name}: {j.Value.ExceptionMessage}"));
            var stats = monitoring.GetStatistics();
            throw new TimeoutException($"The script did not finish within 90 s.\n{await stdout}\n{await stderr}\nservers={stats.Servers} enqueued={stats.Enqueued} scheduled={stats.Scheduled} processing={stats.Processing} succeeded={stats.Succeeded} failed={stats.Failed}\n{failed}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
