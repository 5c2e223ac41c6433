using System.Globalization;
using System.Text;
using LeaseBoard.Features.SignIn;

namespace LeaseBoard.Features.Admin;

/// <summary><c>/admin/audit.csv</c>: the audit log with the page's filters, for admins.</summary>
public static class AuditExportEndpoint
{
    public static IEndpointRouteBuilder MapAuditExport(this IEndpointRouteBuilder app)
    {
        // Same filters as the page's audit log; admin-only like the page.
        app.MapGet("/admin/audit.csv", async (HttpContext http, AdminQueries queries, TimeProvider clock, int? env, string? user, string? action, DateTime? from, DateTime? to) =>
        {
            var filter = new AuditFilter(env, user, action, AsUtc(from), AsUtc(to));
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"leaseboard-audit-{clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture)}.csv\"";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
            await writer.WriteLineAsync(AuditCsv.Header);
            await foreach (var row in queries.AuditForExportAsync(filter, http.RequestAborted))
                await writer.WriteLineAsync(AuditCsv.Line(row));
        }).RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    private static DateTime? AsUtc(DateTime? value) => value is { } v ? v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc) : null;
}
