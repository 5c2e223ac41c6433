using LeaseBoard.Domain;
using LeaseBoard.Features.Admin;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Admin;

public sealed class AdminAuditCsvTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+1", "'+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    public void Admin_audit_csv_cells_are_quoted_and_protected_against_formula_injection(string value, string expected) =>
        Assert.Equal(expected, AuditCsv.Cell(value));

    [Fact]
    public async Task Admin_audit_query_filters_by_environment_user_action_and_time_newest_first_and_pages()
    {
        await using var h = await LeaseHarness.CreateAsync();
        await using (var db = h.Database.CreateDbContext())
        {
            for (var i = 0; i < 30; i++)
                db.AuditEntries.Add(new AuditEntry
                {
                    AtUtc = h.Now.AddMinutes(i), Actor = i % 2 == 0 ? "local:ada" : "system", Action = i % 3 == 0 ? AuditActions.AdminQuarantine : AuditActions.LeaseStarted,
                    EnvironmentId = h.Env(i % 5 + 1).Id, Details = $"entry {i}",
                });
            await db.SaveChangesAsync();
        }
        var queries = new AdminQueries(h.Database, h.Clock);

        var firstPage = await queries.AuditAsync(new AuditFilter(), 0, 10);
        var byAll = await queries.AuditAsync(new AuditFilter(h.Env(1).Id, "ada", AuditActions.AdminQuarantine, h.Now, h.Now.AddMinutes(20)), 0, 10);

        Assert.Equal(30, firstPage.Total);
        Assert.Equal("entry 29", firstPage.Rows[0].Details);
        Assert.Equal(10, firstPage.Rows.Count);
        Assert.Equal("entry 19", (await queries.AuditAsync(new AuditFilter(), 1, 10)).Rows[0].Details);
        // i % 5 == 0, even, i % 3 == 0, i < 20: i = 0 only (i = 30 is out of range)
        Assert.Equal(["entry 0"], byAll.Rows.Select(r => r.Details));
        Assert.Equal("env-1", byAll.Rows[0].EnvironmentKey);
    }
}
