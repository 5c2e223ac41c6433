using LeaseBoard.Data;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.SqlServer.TransactSql.ScriptDom;

namespace LeaseBoard.Tests.Data;

/// <summary>
/// The SQL Server path checked without a SQL Server: the idempotent migration script and the raw SQL
/// the tests send are parsed as T-SQL (SQL Server 2022 grammar). This proves syntax, not behaviour.
/// </summary>
public sealed class SqlServerScriptTests
{
    private static TSqlFragment ParseWithoutErrors(string sql)
    {
        var fragment = new TSql160Parser(initialQuotedIdentifiers: true).Parse(new StringReader(sql), out var errors);
        Assert.True(errors.Count == 0,
            "T-SQL parse errors:\n" + string.Join("\n", errors.Select(e => $"line {e.Line}, column {e.Column}: {e.Message}")));
        return fragment;
    }

    private sealed class CreatedTables : TSqlFragmentVisitor
    {
        public List<string> Names { get; } = [];
        public override void Visit(CreateTableStatement node) => Names.Add(node.SchemaObjectName.BaseIdentifier.Value);
    }

    [Fact]
    public void The_idempotent_migration_script_is_valid_t_sql_and_creates_every_table()
    {
        using var db = MigrationTests.SqlServerContext();
        var script = db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.Idempotent);

        var fragment = ParseWithoutErrors(script);

        var tables = new CreatedTables();
        fragment.Accept(tables);
        Assert.Equal(["ApiTokens", "AuditEntries", "DataProtectionKeys", "Environments", "HealthSamples", "LimitExceptions", "MaintenanceWindows", "Notifications", "People", "QueueEntries", "Reservations", "TestRuns", "WebhookDeliveries", "Webhooks", "__EFMigrationsHistory"], tables.Names.Order(StringComparer.Ordinal));
        // Idempotent: every migration is guarded by a look-up in the history table.
        Assert.All(db.Database.GetMigrations(), id => Assert.Contains($"[MigrationId] = N'{id}'", script));
    }

    [Fact]
    public void The_raw_overlap_check_sent_to_sql_server_is_valid_t_sql()
    {
        var sql = OverlapCheck.Sql(DatabaseProvider.SqlServer, TimeSpan.FromMinutes(10));

        var fragment = ParseWithoutErrors(sql);

        var batch = Assert.Single(((TSqlScript)fragment).Batches);
        Assert.IsType<SelectStatement>(Assert.Single(batch.Statements));
        Assert.Contains("DATEADD(minute, 10, b.EndUtc)", sql);
    }

    [Fact]
    public void The_parser_check_catches_malformed_t_sql()
    {
        var fragment = new TSql160Parser(true).Parse(
            new StringReader("SELECT Id FROM dbo.Reservations WITH (UPDLOCK, HOLDLOCK WHERE EnvironmentId = 1;"), out var errors);

        Assert.NotEmpty(errors);
        Assert.NotNull(fragment);
    }
}
