using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// How <see cref="ProcessTestFramework"/> reaches the real test framework, bound from <c>LeaseBoard:Framework:Process</c>.
/// Commands run as <c>/bin/sh -c</c> in their own process group, with stderr merged into stdout. Placeholders
/// are written bare (<c>run-test {spec}</c>, not <c>"{spec}"</c>) and become single-quoted words; every value
/// is also in the environment (LEASEBOARD_ENVIRONMENT, LEASEBOARD_RESERVATION, LEASEBOARD_FENCING_TOKEN,
/// LEASEBOARD_TEST_KIND, LEASEBOARD_SPEC, LEASEBOARD_DEADLINE).
/// </summary>
public sealed class ProcessFrameworkOptions : IValidatableObject
{
    public const string Section = "LeaseBoard:Framework:Process";

    /// <summary>
    /// Starts a test and runs as long as it does; exit code 0 means it passed. Every output line is a heartbeat
    /// and <c>PROGRESS n</c> (0-100) reports progress. Placeholders: {environment} {reservation} {token} {kind}
    /// {spec} {deadline} (ISO 8601 UTC). It runs in the shell that records its exit code, so it should not
    /// <c>exec</c> the test: that shell would be gone and, after an app restart, the outcome unknown.
    /// </summary>
    [Required(ErrorMessage = "LeaseBoard:Framework:Process:StartCommand is required: the shell command that starts a test.")]
    public string StartCommand { get; set; } = "";

    /// <summary>Checks an environment: exit code 0 means healthy, otherwise its output says why not. Placeholder: {environment}.</summary>
    [Required(ErrorMessage = "LeaseBoard:Framework:Process:HealthCommand is required: the shell command that checks an environment's health.")]
    public string HealthCommand { get; set; } = "";

    /// <summary>Cleans an environment after a lease: exit code 0 means done. Placeholders: {environment} {token}.</summary>
    [Required(ErrorMessage = "LeaseBoard:Framework:Process:ResetCommand is required: the shell command that resets an environment.")]
    public string ResetCommand { get; set; } = "";

    /// <summary>
    /// The folder of the driver's run registry (runs, their output and exit codes, the newest fencing token per
    /// environment), created if missing. Runs outlive the app, so an app that restarts finds them here. Must be on
    /// this host's local disk (flock, atomic rename) and shared by every app process on the host that uses the
    /// driver. Not a [Required] setting: the app's setup fills a default; the driver refuses to work without one.
    /// </summary>
    public string StateDirectory { get; set; } = "";

    /// <summary>Where the commands run; the app's current directory when empty.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>How many of the last output lines a run status, a failed health check or a failed reset shows.</summary>
    [Range(1, 200, ErrorMessage = "LeaseBoard:Framework:Process:OutputLines must be between 1 and 200.")]
    public int OutputLines { get; set; } = 10;

    /// <summary>How long a finished run's outcome stays queryable (and its log on disk) before its id becomes unknown.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "LeaseBoard:Framework:Process:FinishedRunRetention must be between 1 minute and 30 days.")]
    public TimeSpan FinishedRunRetention { get; set; } = TimeSpan.FromDays(1);

    internal static readonly string[] StartPlaceholders = [.. ShellCommandTemplate.Variables.Keys];
    internal static readonly string[] HealthPlaceholders = [ShellCommandTemplate.Environment];
    internal static readonly string[] ResetPlaceholders = [ShellCommandTemplate.Environment, ShellCommandTemplate.Token];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var commands = new (string Value, string Name, string[] Allowed)[]
        {
            (StartCommand, nameof(StartCommand), StartPlaceholders),
            (HealthCommand, nameof(HealthCommand), HealthPlaceholders),
            (ResetCommand, nameof(ResetCommand), ResetPlaceholders),
        };
        foreach (var (value, name, allowed) in commands)
        {
            if (string.IsNullOrWhiteSpace(value)) continue; // [Required] reports it
            if (ShellCommandTemplate.Problem(value, $"{Section}:{name}", allowed) is { } problem)
                yield return new ValidationResult(problem, [name]);
        }
        if (!string.IsNullOrWhiteSpace(WorkingDirectory) && !Directory.Exists(WorkingDirectory))
            yield return new ValidationResult($"{Section}:WorkingDirectory '{WorkingDirectory}' does not exist.", [nameof(WorkingDirectory)]);
    }
}
