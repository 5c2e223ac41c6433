using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeaseBoard.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FairUse : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Team",
                table: "People",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "LimitExceptions",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    UserId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    GrantedBy = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    GrantedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    EndsUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    RevokedUtc = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_LimitExceptions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_People_Team",
                table: "People",
                column: "Team");

            migrationBuilder.CreateIndex(
                name: "IX_LimitExceptions_UserId_EndsUtc",
                table: "LimitExceptions",
                columns: new[] { "UserId", "EndsUtc" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "LimitExceptions");

            migrationBuilder.DropIndex(
                name: "IX_People_Team",
                table: "People");

            migrationBuilder.DropColumn(
                name: "Team",
                table: "People");
        }
    }
}
