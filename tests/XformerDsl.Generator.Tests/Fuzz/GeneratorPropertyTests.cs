extern alias generator;
using System.Diagnostics;
using System.Text;
using CsCheck;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using TrackingNames = generator::XformerDsl.Generator.TrackingNames;

namespace XformerDsl.Generator.Tests.Fuzz;

/// <summary>
/// Issue 14's fuzz run as a property: random declarations, valid and mutated, across attribute values and class
/// shapes (namespaces and containing types with keyword, generic and case-colliding names, ref structs, primary
/// constructors, members named like generated ones, comments and <c>#if</c> inside argument lists), many per
/// compilation. For each run: the generator never throws, generated code compiles without warnings, every declaration
/// either generates or is reported (an XF error or a compiler error in it), a declaration built only from valid parts
/// generates, and no model stalls the generator (<see cref="ThreadCpu.StallGuard"/>).
/// </summary>
/// <remarks>
/// Deterministic: batch <c>b</c> is drawn from <c>new PCG(Stream, Seed + b)</c>. Set <c>XF_FUZZ_SEED</c> (a number)
/// to explore other declarations and <c>XF_FUZZ_BATCHES</c> to run longer. A failing batch is handed to CsCheck with
/// its seed, which shrinks it to a smaller failing batch and prints that batch's seed for replay.
/// </remarks>
public class GeneratorPropertyTests(ITestOutputHelper output)
{
    private const uint Stream = 14;
    private const int BatchSize = 48;
    private const int DefaultBatches = 22;   // 1,056 declarations
    private static readonly TimeSpan s_modelBudget = TimeSpan.FromSeconds(2);

    /// <summary>One declaration: where it lives, its attributes, and whether every part of it is valid.</summary>
    public sealed record Declaration(string Namespace, string[] Containers, string Modifiers, string Name, string PrimaryConstructor,
        string Attributes, string Members, bool KnownValid)
    {
        public override string ToString() =>
            $"namespace {Namespace} {{ {string.Concat(Containers.Select(c => c + " { "))}{Attributes} {Modifiers} class {Name}{PrimaryConstructor} {{ {Members} }}{string.Concat(Containers.Select(_ => " }"))} }}";
    }

    // Valid choices nine times in ten, so most declarations generate and the rest each break one or two things.
    private static Gen<(string Text, bool Valid)> Choice(params (string Text, bool Valid)[] choices)
    {
        var valid = choices.Where(c => c.Valid).ToArray();
        var invalid = choices.Where(c => !c.Valid).ToArray();
        return valid.Length == 0 || invalid.Length == 0 ? Gen.OneOf(choices)
            : Gen.Frequency<(string Text, bool Valid)>((9, Gen.OneOf(valid)), (1, Gen.OneOf(invalid)));
    }

    private static readonly Gen<(string Text, bool Valid)> s_heads = Choice(("4", true), ("2", true), ("8", true), ("3", false), ("0", false));

    private static readonly Gen<int> s_maxLength = Gen.Frequency<int>(
        (24, Gen.OneOf(16, 64, 256, 1024)),
        (3, Gen.OneOf(4096, 16384)),
        (1, Gen.OneOf(65536, 262144, 1048576)));

    private static readonly Gen<(string Text, bool Valid)> s_attention = Gen.OneOf<(string Text, bool Valid)>(
        s_heads.Select(h => ($"[FullAttention(Heads = {h.Text})]", h.Valid)),
        s_heads.Select(h => ($"[FullAttention(Heads = {h.Text})]", h.Valid)),
        s_heads.Select(h => ($"[LinearAttention(Heads = {h.Text})]", h.Valid)),
        s_heads.Select(h => ($"[LshAttention(Heads = {h.Text})]", false)),   // its bucket rules depend on MaxLength
        Gen.Select(s_heads, Gen.OneOf(1, 16, 64, 256),
            (h, window) => ($"[SlidingWindowAttention(Heads = {h.Text}, Window = {window})]", false)),
        Gen.Select(s_heads, Gen.OneOf(16, 64), (h, block) => ($"[LocalAttention(Heads = {h.Text}, Block = {block}, Before = 1)]", false)),
        Gen.Select(s_heads, Gen.OneOf(16, 64, 128), (h, stride) => ($"[SparseAttention(Heads = {h.Text}, Stride = {stride})]", false)),
        Gen.Select(s_heads, Gen.OneOf(1, 16, 64), Gen.Int[0, 2], Gen.Int[0, 3],
            (h, block, global, random) => ($"[BigBirdAttention(Heads = {h.Text}, Block = {block}, GlobalBlocks = {global}, RandomBlocks = {random})]", false)),
        Gen.Select(s_heads, Gen.OneOf(4, 16), (h, rows) => ($"[AxialAttention(Heads = {h.Text}, Rows = {rows}, Columns = 16)]", false)),
        Gen.Select(s_heads, Gen.OneOf("", ", KernelSizes = new[] { 3 }", ", KernelSizes = new[] { 4, 7 }", ", Convolution = ConvolutionKind.Lightweight, AttentionWidth = 32"),
            (h, more) => ($"[LongShortRangeAttention(Heads = {h.Text}{more})]", false)));

    // A second or third attention names its layers, sometimes wrongly (a layer twice, layers another takes, all of them).
    private static readonly Gen<(string Text, bool Valid)> s_selector = Choice(
        ("Every = 2", true), ("Every = 1", false), ("Layers = new[] { 0 }", true), ("Layers = new[] { 0, 0 }", false),
        ("Layers = new[] { 1, 3 }", false), ("Layers = new[] { 7 }", false), ("", false));

    private static readonly Gen<(string Text, bool Valid)> s_frame = Choice(
        ("", true), ("[FeedForward(Hidden = 512)]", true), ("[Positions(Kind = PositionEncoding.Rotary)]", true),
        ("[Normalization(Kind = NormKind.RmsNorm)] [Reversible]", true), ("[Positions(Kind = PositionEncoding.Sinusoidal)] [FeedForward(Chunks = 3)]", false),
        // Model shapes, valid or not depending on Causal and on the attention: heads, encoder-decoders, a budget.
        ("[ClassificationHead(Classes = 3)]", false), ("[MaskedLanguageModelHead(MaskToken = 1)] [Normalization(Placement = NormPlacement.Post)]", false),
        ("[Encoder(Depth = 2)]", false), ("[Encoder(Depth = 1, SharedEmbeddings = true, CrossAttentionHeads = 2)] [Positions(Kind = PositionEncoding.Rotary)]", false),
        ("[Encoder(Depth = 2)] [Reversible]", false));

    // Trivia the header must not restate: a comment, a block comment across lines, an #if.
    private static readonly Gen<string> s_trivia = Gen.OneOf(" ", " ", " // vocabulary\n",
        " /* a\n */ ", "\n#if NEVER_DEFINED\n Dropout = 0.5,\n#endif\n");

    private static readonly Gen<(string Text, bool Valid)> s_transformer = Gen.Select(
        Choice(("256", true), ("1000", true), ("0", false)), Gen.OneOf(64, 128, 256),
        Gen.OneOf(2, 4), s_maxLength, Gen.Bool, s_trivia,
        (vocab, dim, depth, maxLength, causal, trivia) =>
            ($"[Transformer(Vocab = {vocab.Text},{trivia}Dim = {dim}, Depth = {depth}, MaxLength = {maxLength}, Causal = {(causal ? "true" : "false")})]",
             vocab.Valid && maxLength <= 4096));

    private static readonly Gen<(string Text, bool Valid)> s_attributes = Gen.Select(s_transformer, s_attention, s_attention, s_selector, Gen.Frequency<int>((14, Gen.Const(1)), (5, Gen.Const(2)), (1, Gen.Const(3))), s_frame,
        (transformer, first, second, selector, count, frame) =>
        {
            // FullAttention's rules are the only ones a valid declaration here relies on.
            bool valid = transformer.Valid && first.Valid && first.Text.StartsWith("[FullAttention", StringComparison.Ordinal) && frame.Valid;
            var text = transformer.Text + " " + first.Text;
            if (count > 1)
            {
                var withSelector = selector.Text.Length == 0 ? second.Text : second.Text.Replace(")]", ", " + selector.Text + ")]", StringComparison.Ordinal);
                text += " " + withSelector;
                valid &= second.Valid && selector.Valid && second.Text.StartsWith("[FullAttention", StringComparison.Ordinal) && !frame.Text.Contains("Rotary", StringComparison.Ordinal);
            }
            if (count > 2)
            {
                text += " [FullAttention(Heads = 8, Layers = new[] { 1 })]";
                valid = false;
            }
            return (text + " " + frame.Text, valid);
        });

    // Containing types, some generic (with the kernels' own type parameter names), some keywords, some ref structs. None
    // is named like a model, or a model and a container of one namespace would be one class of two declarations.
    private static readonly Gen<(string Text, bool Valid)> s_container = Choice(
        ("public partial class Outer", true), ("public partial struct S", true), ("public ref partial struct R", true),
        ("public readonly partial struct RO", true), ("public partial record class Rec", true), ("public partial class G<T>", true),
        ("public partial class H<TVec, TOps>", true), ("public partial class Outer_T_", true), ("public partial class Outer<T>", true),
        ("internal partial class @event", true), ("public static partial class St", true),
        ("public partial interface IOuter", true), ("public partial record struct RS", true), ("public partial class @dynamic", true),
        ("public class NotPartial", false));

    private static readonly Gen<(string Text, bool Valid)> s_namespace = Choice(("Fuzz", true), ("Fuzz.@event", true), ("Fuzz.Model", true));

    private static readonly Gen<(string Text, bool Valid)> s_name = Choice(
        ("Model", true), ("model", true), ("M", true), ("TinyGpt", true), ("@class", true), ("@nameof", true), ("async", true), ("Block", false));

    private static readonly Gen<(string Text, bool Valid)> s_modifiers = Choice(
        ("public partial", true), ("internal partial", true), ("public sealed partial", true), ("public", false), ("public static partial", false));

    private static readonly Gen<(string Text, bool Valid)> s_members = Choice(
        ("", true), ("", true), ("public int Extra => 1;", true), ("public int Spec() => 0;", false), ("public void Step(int x) { }", false),
        ("private void layers() { }", false), ("public string Card() => \"\";", false), ("public object CreateState(long batch) => batch;", false),
        ("public void Block() { }", false));

    private static readonly Gen<(string Text, bool Valid)> s_primaryConstructor = Choice(("", true), ("", true), ("(string name)", false));

    public static readonly Gen<Declaration> Declarations = Gen.Select(
        Gen.Select(s_namespace, s_container.Array[0, 2], s_modifiers, s_name, (ns, containers, modifiers, name) => (ns, containers, modifiers, name)),
        s_primaryConstructor, s_attributes, s_members,
        (shape, primary, attributes, members) => new Declaration(shape.ns.Text, shape.containers.Select(c => c.Text).ToArray(), shape.modifiers.Text,
            shape.name.Text, primary.Text, attributes.Text, members.Text,
            shape.ns.Valid && shape.containers.All(c => c.Valid) && DistinctNames(shape.containers.Select(c => c.Text).Append(shape.name.Text)) && shape.modifiers.Valid && shape.name.Valid && primary.Valid && attributes.Valid && members.Valid));

    public static readonly Gen<Declaration[]> Batches = Declarations.Array[BatchSize];

    [Fact]
    public void Every_declaration_generates_clean_code_or_is_reported_without_stalling()
    {
        ulong seed = ulong.TryParse(Environment.GetEnvironmentVariable("XF_FUZZ_SEED"), out var s) ? s : 1189;
        int batches = int.TryParse(Environment.GetEnvironmentVariable("XF_FUZZ_BATCHES"), out var b) ? b : DefaultBatches;
        var stopwatch = Stopwatch.StartNew();
        int declarations = 0, generated = 0;
        for (int batch = 0; batch < batches; batch++)
        {
            var pcg = new PCG(Stream, seed + (ulong)batch);
            string replay = pcg.ToString();
            var declarationsOfBatch = Batches.Generate(pcg, null, out _);
            try
            {
                generated += Check(declarationsOfBatch);
            }
            catch (Exception failure)
            {
                output.WriteLine($"Batch {batch} (CsCheck seed {replay}) failed: {failure.Message}\nShrinking…");
                // CsCheck replays the seed, shrinks to a smaller failing batch and throws with its seed and print.
                Batches.Sample(declarationsInBatch => { Check(declarationsInBatch); }, seed: replay, iter: 200, threads: 1,
                    print: batchToPrint => string.Join("\n", batchToPrint.Select(d => d.ToString())));
                throw;
            }
            declarations += declarationsOfBatch.Length;
        }
        output.WriteLine($"{declarations} declarations in {batches} compilations, {generated} generated, in {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(declarations >= 1000);
    }

    /// <summary>Runs the generator over one compilation of the batch and checks every property; returns the models generated.</summary>
    private static int Check(Declaration[] batch)
    {
        // Declarations with the same full name would be one class declared twice: keep the first of each.
        var source = new StringBuilder("using XformerDsl;\n");
        var spans = new List<(Declaration Declaration, int Start, int End)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < batch.Length; i++)
        {
            var declaration = batch[i] with { Namespace = batch[i].Namespace + ".N" + (i / 3).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            if (!seen.Add(declaration.Namespace + "|" + string.Join("|", declaration.Containers) + "|" + declaration.Name.TrimStart('@')))
                continue;
            int start = source.Length;
            source.Append(declaration).Append('\n');
            spans.Add((declaration, start, source.Length));
        }
        var run = GeneratorHarness.Run(source.ToString());
        string text = source.ToString();

        Assert.All(run.Result.Results, result => Assert.Null(result.Exception));
        Assert.DoesNotContain(run.DriverDiagnostics, d => d.Id is "CS8785" or "AD0001");
        Assert.All(run.GeneratorDiagnostics, d => Assert.StartsWith("XF", d.Id));

        // Generated code compiles without warnings: no error or warning located in a generated file.
        var generatedTrees = run.Result.GeneratedTrees.ToHashSet();
        var diagnostics = run.OutputCompilation.GetDiagnostics();
        var inGenerated = diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)).ToList();
        Assert.True(inGenerated.Count == 0, "generated code does not compile cleanly:\n" + string.Join("\n", inGenerated.Take(5)));

        // Every declaration generates, or is reported: an XF error or a compiler error inside it.
        var errors = run.GeneratorDiagnostics.Concat(diagnostics)
            // The generator's diagnostics carry a file path and span, not the tree.
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Location.GetLineSpan().Path == "/src/Model.cs")
            .Select(d => d.Location.SourceSpan.Start).ToList();
        // Each generated file names its model in its header; compared without '@', which display names may keep.
        var headers = run.Sources.Values
            .Select(generated => generated[..generated.IndexOf('\n', generated.IndexOf("from the declaration of", StringComparison.Ordinal))].Replace("@", "", StringComparison.Ordinal))
            .ToList();
        int generatedModels = 0;
        foreach (var (declaration, start, end) in spans)
        {
            string fullName = declaration.Namespace.Replace("@", "", StringComparison.Ordinal) + "."
                + string.Concat(declaration.Containers.Select(c => ContainerName(c).Replace("@", "", StringComparison.Ordinal) + ".")) + declaration.Name.TrimStart('@') + ":";
            bool isGenerated = headers.Any(header => header.EndsWith(" " + fullName, StringComparison.Ordinal));
            bool isReported = errors.Any(position => position >= start && position < end);
            Assert.True(isGenerated || isReported, "neither generated nor reported: " + text[start..end]);
            Assert.True(!declaration.KnownValid || isGenerated, "valid but not generated: " + text[start..end]);
            generatedModels += isGenerated ? 1 : 0;
        }

        // No model stalls the generator: its parse plus its emission, bounded by the slowest of each (wall time), is
        // normally under two seconds. Wall time on a shared machine can be many times the work, so a batch over that has
        // each of its long declarations (where the layout work lies) run again alone, timed by this thread's processor
        // time against the stall guard.
        var parseTime = run.Result.Results.Single().TrackedSteps[TrackingNames.Parsed].Select(step => step.ElapsedTime).DefaultIfEmpty().Max();
        var emitTime = run.Result.Results.Single().TrackedOutputSteps.TryGetValue("SourceOutput", out var outputs)
            ? outputs.Select(step => step.ElapsedTime).DefaultIfEmpty().Max() : TimeSpan.Zero;
        if (parseTime + emitTime > s_modelBudget)
        {
            foreach (var (declaration, _, _) in spans.Where(span => LongSequence(span.Declaration)))
            {
                var compilation = GeneratorHarness.Compilation("using XformerDsl;\n" + declaration);
                var (_, time) = ThreadCpu.Measure(() => GeneratorHarness.Run(compilation));
                Assert.True(time <= ThreadCpu.StallGuard, $"took {time.TotalSeconds:F2} s to generate: {declaration}");
            }
        }
        return generatedModels;
    }

    private static bool LongSequence(Declaration declaration) =>
        System.Text.RegularExpressions.Regex.Match(declaration.Attributes, @"MaxLength = (\d+)") is { Success: true } match && int.Parse(match.Groups[1].Value) >= 16384;

    // A nested type named like the type around it does not compile (CS0542).
    private static bool DistinctNames(IEnumerable<string> chain)
    {
        var names = chain.Select(c => ContainerName(c.Contains(' ') ? c : "class " + c)).Select(n => n.Split('<')[0]).ToList();
        return names.Distinct().Count() == names.Count;
    }

    // "public partial class G<T>" → "G<T>", as the header's full name writes it.
    private static string ContainerName(string container)
    {
        var words = container.Split(' ');
        int keyword = Array.FindLastIndex(words, w => w is "class" or "struct" or "interface");
        return string.Join(" ", words.Skip(keyword + 1)).TrimStart('@');
    }
}
