extern alias generator;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using XformerGenerator = generator::XformerDsl.Generator.XformerGenerator;

namespace XformerDsl.Generator.Tests.Infrastructure;

/// <summary>The result of running the generator over a compilation.</summary>
public sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation OutputCompilation,
    ImmutableArray<Diagnostic> DriverDiagnostics)
{
    /// <summary>The generator's own diagnostics (XF…), as a user would see them.</summary>
    public ImmutableArray<Diagnostic> GeneratorDiagnostics => Result.Results.Single().Diagnostics;

    /// <summary>The generated sources' texts, by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Result.Results.Single().GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>
    /// Errors anywhere, and warnings in the generated code or caused in the user's code, as the compiler reports them.
    /// Missing XML docs (CS1591) on the user's own undocumented public types are the user's business and not counted;
    /// the model class itself is documented by the generated part.
    /// </summary>
    public ImmutableArray<Diagnostic> CompilationProblems =>
        OutputCompilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error
                || d.Severity == DiagnosticSeverity.Warning && !(d.Id == "CS1591" && IsUserFile(d)))
            .ToImmutableArray();

    private bool IsUserFile(Diagnostic diagnostic) =>
        diagnostic.Location.SourceTree is { } tree && !Result.GeneratedTrees.Contains(tree);
}

/// <summary>Builds compilations the way a user's project looks (Dsl, Runtime, TorchSharp referenced) and runs the generator.</summary>
public static class GeneratorHarness
{
    /// <summary>Latest language, and documentation comments checked as a project with GenerateDocumentationFile would.</summary>
    public static CSharpParseOptions ParseOptions { get; } =
        CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithDocumentationMode(DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_frameworkReferences = new(() =>
    {
        // The running framework's own assemblies; never the test's other dependencies (the generator assembly links
        // public copies of the spec types, which would clash with Dsl's).
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(path => Path.GetDirectoryName(path) == frameworkDirectory)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>Framework + XformerDsl.Dsl + XformerDsl.Runtime + TorchSharp.</summary>
    public static ImmutableArray<MetadataReference> UserProjectReferences { get; } = s_frameworkReferences.Value
        .Add(MetadataReference.CreateFromFile(typeof(TransformerAttribute).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(XformerDsl.Modules.ModelInputs).Assembly.Location))
        .Add(MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location));

    /// <summary>Framework + XformerDsl.Dsl only: a project that forgot the runtime.</summary>
    public static ImmutableArray<MetadataReference> DslOnlyReferences { get; } = s_frameworkReferences.Value
        .Add(MetadataReference.CreateFromFile(typeof(TransformerAttribute).Assembly.Location));

    public static CSharpCompilation Compilation(IEnumerable<(string Path, string Text)> files, IEnumerable<MetadataReference>? references = null) =>
        CSharpCompilation.Create(
            "UserProject",
            files.Select(f => CSharpSyntaxTree.ParseText(SourceText.From(f.Text, System.Text.Encoding.UTF8), ParseOptions, f.Path)),
            references ?? UserProjectReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                // As the .NET SDK does: assembly-version unification notes are not problems in the user's code.
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));

    public static CSharpCompilation Compilation(string source, IEnumerable<MetadataReference>? references = null) =>
        Compilation(new[] { ("/src/Model.cs", source) }, references);

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            new[] { new XformerGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(Compilation compilation, GeneratorDriver? driver = null)
    {
        driver = (driver ?? CreateDriver()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), output, diagnostics);
    }

    public static GeneratorRun Run(string source, IEnumerable<MetadataReference>? references = null) =>
        Run(Compilation(source, references));

    /// <summary>The test project's source directory (where the snapshots live).</summary>
    public static string ProjectDirectory { get; } = Path.GetDirectoryName(Path.GetDirectoryName(ThisFile()))!;

    /// <summary>The directory of declaration files, <c>Declarations/</c>.</summary>
    public static string DeclarationsDirectory() => Path.Combine(ProjectDirectory, "Declarations");

    private static string ThisFile([CallerFilePath] string path = "") => path;

    /// <summary>The repository's <c>examples/</c> directory.</summary>
    public static string ExamplesDirectory() => Path.GetFullPath(Path.Combine(ProjectDirectory, "..", "..", "examples"));

    /// <summary>Prefix of the names of declarations taken from <c>examples/</c>.</summary>
    public const string ExamplePrefix = "Example.";

    /// <summary>
    /// The test declarations (<c>Declarations/*.cs</c>) and every file under <c>examples/</c> that declares a model,
    /// the latter named <c>Example.{file}</c>, in ordinal order.
    /// </summary>
    public static IEnumerable<string> DeclarationNames() =>
        Directory.GetFiles(DeclarationsDirectory(), "*.cs").Select(Path.GetFileNameWithoutExtension)
            .Concat(ExampleDeclarationFiles().Select(path => ExamplePrefix + Path.GetFileNameWithoutExtension(path)))
            .Order(StringComparer.Ordinal)!;

    public static string Declaration(string name) => File.ReadAllText(
        name.StartsWith(ExamplePrefix, StringComparison.Ordinal)
            ? ExampleDeclarationFiles().Single(path => Path.GetFileNameWithoutExtension(path) == name[ExamplePrefix.Length..])
            : Path.Combine(DeclarationsDirectory(), name + ".cs"));

    private static IEnumerable<string> ExampleDeclarationFiles() =>
        Directory.GetFiles(ExamplesDirectory(), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                && File.ReadAllText(path).Contains("[Transformer(", StringComparison.Ordinal));
}
