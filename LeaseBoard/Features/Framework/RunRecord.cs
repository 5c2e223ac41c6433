using System.Text.Json.Serialization;

namespace LeaseBoard.Features.Framework;

/// <summary>
/// One run in the registry. <see cref="ProcessGroup"/> is the wrapper shell's pid (it leads the group);
/// with <see cref="StartTime"/> (field 22 of /proc/&lt;pid&gt;/stat) and <see cref="BootId"/> it names that
/// process and no other. Null until the process exists; <see cref="RunId"/> is set with them.
/// </summary>
internal sealed record RunRecord(
    string Key,
    string? RunId,
    string EnvironmentKey,
    long FencingToken,
    int ReservationId,
    DateTime CreatedUtc,
    string BootId,
    int? ProcessGroup,
    long? StartTime,
    string OutputFile,
    DateTime? FinishedUtc)
{
    public static string IdOf(int processGroup, string key) => $"proc-{processGroup}-{key}";

    /// <summary>The key in "proc-&lt;pid&gt;-&lt;key&gt;", or null for an id this driver never made.</summary>
    public static string? KeyOf(string runId)
    {
        var parts = runId.Split('-');
        return parts is ["proc", var pid, var key] && pid.Length > 0 && pid.All(char.IsAsciiDigit) ? key : null;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RunRecord))]
internal sealed partial class RegistryJson : JsonSerializerContext;
