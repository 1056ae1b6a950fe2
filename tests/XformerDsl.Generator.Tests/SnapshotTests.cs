using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// The generated source of every declaration in <c>Declarations/</c> and of every example model under <c>examples/</c>,
/// compared with the accepted snapshot <c>SnapshotTests.{Declaration}.verified.cs</c> (examples: <c>Example.{file}</c>).
/// Add a declaration file and its snapshot appears on the next run.
/// </summary>
public class SnapshotTests
{
    public static TheoryData<string> Declarations() => new(GeneratorHarness.DeclarationNames());

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Generated_source_matches_the_snapshot(string declaration)
    {
        var run = GeneratorHarness.Run(GeneratorHarness.Compilation(new[] { ($"/src/{declaration}.cs", GeneratorHarness.Declaration(declaration)) }));

        Assert.Empty(run.GeneratorDiagnostics);
        // A declaration file may hold helper models (the source a [ConvertsFrom] names); the snapshot is of the model named like the file.
        var file = declaration.StartsWith(GeneratorHarness.ExamplePrefix, StringComparison.Ordinal) ? declaration[GeneratorHarness.ExamplePrefix.Length..] : declaration;
        var source = run.Sources.Count == 1 ? run.Sources.Single() : run.Sources.Single(s => s.Key.EndsWith("." + file + ".g.cs", StringComparison.Ordinal));
        Snapshot.Verify(source.Value, declaration);
    }

    [Fact]
    public void Every_declaration_has_a_snapshot_and_every_snapshot_a_declaration()
    {
        var directory = GeneratorHarness.ProjectDirectory;
        var snapshots = Directory.GetFiles(directory, "SnapshotTests.*.verified.cs")
            .Select(path => Path.GetFileName(path)["SnapshotTests.".Length..^".verified.cs".Length])
            .Order(StringComparer.Ordinal);
        Assert.Equal(GeneratorHarness.DeclarationNames(), snapshots);
    }
}
