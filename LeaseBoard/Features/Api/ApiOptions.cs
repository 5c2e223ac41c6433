using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Api;

public sealed class ApiOptions
{
    public const string Section = "LeaseBoard:Api";

    /// <summary>Requests one token may make per minute before it gets 429 with Retry-After.</summary>
    [Range(1, 100_000, ErrorMessage = "LeaseBoard:Api:RequestsPerMinute must be between 1 and 100000.")]
    public int RequestsPerMinute { get; set; } = 120;
}
