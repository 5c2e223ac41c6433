using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeaseBoard.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunAttribution : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_TestRuns_EnvironmentId",
                table: "TestRuns");

            migrationBuilder.AddColumn<string>(
                name: "Attribution",
                table: "TestRuns",
                type: "TEXT",
                maxLength: 24,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_TestRuns_EnvironmentId_EndedUtc",
                table: "TestRuns",
                columns: new[] { "EnvironmentId", "EndedUtc" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_TestRuns_EnvironmentId_EndedUtc",
                table: "TestRuns");

            migrationBuilder.DropColumn(
                name: "Attribution",
                table: "TestRuns");

            migrationBuilder.CreateIndex(
                name: "IX_TestRuns_EnvironmentId",
                table: "TestRuns",
                column: "EnvironmentId");
        }
    }
}
