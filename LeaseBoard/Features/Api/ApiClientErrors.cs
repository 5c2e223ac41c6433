using Microsoft.AspNetCore.Diagnostics;

namespace LeaseBoard.Features.Api;

/// <summary>
/// A client's mistake that binding throws (malformed JSON, an unknown enum name, a non-number in the query, a body too
/// large): answered as a 4xx problem with the reason, and logged as what it is — one line at Information, "Bad request:
/// …", without a stack trace. Handling it here keeps the exception handler from logging it as an unhandled error (from
/// .NET 10 on it records no diagnostics for an exception an <see cref="IExceptionHandler"/> handled). Faults of ours
/// (5xx) are not handled here: they stay errors with their exception. The pages keep their own error page.
/// </summary>
public sealed partial class ApiClientErrors(IProblemDetailsService problems, ILogger<ApiClientErrors> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException { StatusCode: >= 400 and < 500 } bad || !context.Request.Path.StartsWithSegments("/api"))
            return false;
        LogBadRequest(context.Request.Method, context.Request.Path, bad.StatusCode, Describe(bad));
        context.Response.StatusCode = bad.StatusCode;
        // A client that accepts no JSON gets the bare status code: still its answer, and still no error of ours.
        await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = bad, ProblemDetails = { Status = bad.StatusCode } });
        return true;
    }

    /// <summary>What was wrong, for the problem's detail and the log line alike.</summary>
    public static string Describe(BadHttpRequestException bad) => bad.InnerException is { } inner ? $"{bad.Message} {inner.Message}" : bad.Message;

    [LoggerMessage(Level = LogLevel.Information, Message = "Bad request: {Method} {Path} answered {StatusCode}: {Reason}")]
    private partial void LogBadRequest(string method, string path, int statusCode, string reason);
}
