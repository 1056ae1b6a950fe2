extern alias generator;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Tests.Infrastructure;
using Xunit;
using DiagnosticDescriptors = generator::XformerDsl.Generator.Diagnostics.DiagnosticDescriptors;

namespace XformerDsl.Generator.Tests;

/// <summary>
/// Every diagnostic of the frame fires at the offending syntax (the argument when there is one, else the attribute or
/// the class) with a message that names the value and the fix; valid declarations yield none. Each attention family
/// has its own cases beside its other tests, in <c>Families/&lt;Family&gt;/</c>.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = DiagnosticCases.Usings;
    private const string Transformer = DiagnosticCases.Transformer;
    private const string Attention = DiagnosticCases.Attention;
    private const string Encoder = DiagnosticCases.Encoder;

    public static TheoryData<string, string, string> Cases() => new()
    {
        { "XF0001", Usings + Transformer + Attention + "public class [|TinyGpt|];",
            "Class 'TinyGpt' has [Transformer] but is not partial; declare it as 'partial class TinyGpt' so the generator can complete it" },
        { "XF0002", Usings + Transformer + Attention + "public partial class TinyGpt[|<T>|];",
            "Class 'TinyGpt' is generic (<T>); remove the type parameters, a model's architecture is fixed at compile time" },
        { "XF0003", Usings + Transformer + Attention + "public [|static|] partial class TinyGpt;",
            "Class 'TinyGpt' is static; remove 'static', a model is a module you create with 'new TinyGpt()'" },
        { "XF0004", Usings + "public class [|Outer|]\n{\n" + Transformer + Attention + "public partial class TinyGpt;\n}",
            "Class 'TinyGpt' is nested in 'Outer', which is not partial; declare 'Outer' as partial or move 'TinyGpt' out of it" },
        { "XF0005", Usings + Transformer + Attention + "public partial class TinyGpt : [|System.EventArgs|];",
            "Class 'TinyGpt' derives from 'System.EventArgs'; remove the base class, the generator makes 'TinyGpt' derive from torch.nn.Module<Tensor, Tensor>" },
        { "XF0006", Usings + Transformer + Attention + "public partial [|record|] TinyGpt;",
            "'TinyGpt' is declared as a record; declare it as 'public partial class TinyGpt'" },
        { "XF0006", Usings + Transformer + Attention + "[|file|] partial class TinyGpt;",
            "'TinyGpt' is declared as a file-local type; declare it as 'public partial class TinyGpt'" },
        { "XF0007", Usings + "[[|Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024)|]]\npublic partial class TinyGpt;",
            "Model 'TinyGpt' declares no attention; add exactly one attention attribute, such as [FullAttention(Heads = 4)]" },
        { "XF0008", Usings + Transformer + Attention + "[[|FullAttention(Heads = 8)|]]\npublic partial class TinyGpt;",
            "Model 'TinyGpt' already declares [FullAttention] for every layer not named elsewhere, so [FullAttention] conflicts with it; keep one attention attribute without Layers or Every, and give the others Layers = new[] { ... } or Every = n" },
        { "XF0009", Usings + "[[|FullAttention(Heads = 4)|]]\npublic partial class NotAModel;",
            "[FullAttention] on 'NotAModel' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to 'NotAModel' or remove [FullAttention]" },
        { "XF0009", Usings + "[[|Normalization(Kind = NormKind.RmsNorm)|]]\npublic class NotAModel { }",
            "[Normalization] on 'NotAModel' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to 'NotAModel' or remove [Normalization]" },
        { "XF0010", Usings + "[[|Transformer(Vocab = 256, Depth = 4, MaxLength = 1024)|]]\n" + Attention + "public partial class TinyGpt;",
            "[Transformer] needs Dim; add an argument such as 'Dim = 256'" },
        { "XF0010", Usings + Transformer + "[[|FullAttention|]]\npublic partial class TinyGpt;",
            "[FullAttention] needs Heads; add an argument such as 'Heads = 4'" },
        { "XF0012", Usings + Transformer + Attention + "[Positions([|RotaryBase = 500000|])]\npublic partial class TinyGpt;",
            "RotaryBase = 500000 has no effect because Kind = Learned; remove it, or set Kind = PositionEncoding.Rotary" },
        { "XF0013", Usings + "[Transformer(Vocab = 256, [|Dim = 0|], Depth = 4, MaxLength = 1024)]\n" + Attention + "public partial class TinyGpt;",
            "Dim = 0 is outside the supported range 1 to 65536; use a value in that range, for example Dim = 256" },
        { "XF0013", Usings + "[Transformer([|Vocab = int.MaxValue|], Dim = 256, Depth = 4, MaxLength = 1024)]\n" + Attention + "public partial class TinyGpt;",
            "Vocab = 2147483647 is outside the supported range 1 to 16777216; use a value in that range, for example Vocab = 256" },
        { "XF0013", Usings + "[Transformer(Vocab = 256, Dim = 256, [|Depth = -3|], MaxLength = 1024)]\n" + Attention + "public partial class TinyGpt;",
            "Depth = -3 is outside the supported range 1 to 1024; use a value in that range, for example Depth = 4" },
        { "XF0013", Usings + Transformer + Attention + "[FeedForward([|Hidden = 0|])]\npublic partial class TinyGpt;",
            "Hidden = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Hidden = 1024" },
        { "XF0013", Usings + Transformer + "[FullAttention([|Heads = 0|])]\npublic partial class TinyGpt;",
            "Heads = 0 is outside the supported range 1 to 1024; use a value in that range, for example Heads = 4" },
        { "XF0014", Usings + Transformer + "[FullAttention([|Heads = 3|])]\npublic partial class TinyGpt;",
            "Heads = 3 does not divide Dim = 256; use a divisor of 256 such as 4 or 8" },
        { "XF0015", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|Dropout = 1.0|])]\n" + Attention + "public partial class TinyGpt;",
            "Dropout = 1 is not a probability in [0, 1); use a value such as 0.1, or 0 to disable dropout" },
        { "XF0015", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|Dropout = double.NaN|])]\n" + Attention + "public partial class TinyGpt;",
            "Dropout = NaN is not a probability in [0, 1); use a value such as 0.1, or 0 to disable dropout" },
        { "XF0016", Usings + Transformer + Attention + "[Normalization([|Epsilon = 0|])]\npublic partial class TinyGpt;",
            "Epsilon = 0 must be positive and finite; use a small value such as 1e-05" },
        { "XF0017", Usings + "[Transformer(Vocab = 256, Dim = 250, Depth = 4, MaxLength = 1024)]\n[FullAttention(Heads = 2)]\n[Positions([|Kind = PositionEncoding.Rotary|])]\npublic partial class TinyGpt;",
            "Kind = Rotary needs an even head size, but Dim / Heads = 250 / 2 = 125; use Heads = 1 (head size 250), or use Kind = Learned or Sinusoidal" },
        { "XF0018", Usings + Transformer + Attention + "[Positions(Kind = PositionEncoding.Rotary, [|RotaryBase = 1|])]\npublic partial class TinyGpt;",
            "RotaryBase = 1 must be a finite number greater than 1; use 10000, the RoFormer default" },
        { "XF0019", Usings + Transformer + Attention + "[FeedForward([|Activation = (Activation)42|])]\npublic partial class TinyGpt;",
            "Activation = 42 is not a defined Activation; use one of Activation.Gelu, Activation.Relu, Activation.SwiGlu" },
        { "XF0019", Usings + Transformer + Attention + "[Normalization([|Placement = (NormPlacement)(-1)|])]\npublic partial class TinyGpt;",
            "Placement = -1 is not a defined NormPlacement; use one of NormPlacement.Pre, NormPlacement.Post" },
        { "XF0021", Usings + Transformer + Attention + "[FullAttention(Heads = 8, [|Layers = new[] { 1, 4, 7 }|])]\npublic partial class TinyGpt;",
            "Layers = new[] { 1, 4, 7 } names layers 4 and 7, but Depth = 4 has layers 0 to 3; name layers from 0 to 3, or remove Layers to take the layers no other attention names" },
        { "XF0021", Usings + Transformer + Attention + "[FullAttention(Heads = 8, [|Layers = new int[0]|])]\npublic partial class TinyGpt;",
            "Layers = new int[0] names no layer, but Depth = 4 has layers 0 to 3; name layers from 0 to 3, or remove Layers to take the layers no other attention names" },
        { "XF0022", Usings + Transformer + Attention + "[FullAttention(Heads = 8, [|Every = 6|])]\npublic partial class TinyGpt;",
            "Every = 6 must be from 1 to Depth = 4 (it picks every 6-th layer); use for example Every = 4" },
        { "XF0022", Usings + Transformer + Attention + "[FullAttention(Heads = 8, [|Every = 0|])]\npublic partial class TinyGpt;",
            "Every = 0 must be from 1 to Depth = 4 (it picks every 0-th layer); use for example Every = 4" },
        { "XF0023", Usings + Transformer + Attention + "[FullAttention(Heads = 8, Every = 2)]\n[FullAttention(Heads = 2, [|Layers = new[] { 0, 3 }|])]\npublic partial class TinyGpt;",
            "[FullAttention(Every = 2)] and [FullAttention(Layers = new[] { 0, 3 })] both claim layer 3; give each layer exactly one attention" },
        { "XF0024", Usings + Transformer + "[[|FullAttention(Heads = 8, Every = 2)|]]\npublic partial class TinyGpt;",
            "Layers 0 and 2 of Depth = 4 have no attention; add an attention attribute without Layers or Every, which takes every layer not named elsewhere, or name them in Layers" },
        { "XF0025", Usings + Transformer + Attention + "[FullAttention(Heads = 8, Layers = new[] { 0 }, [|Every = 2|])]\npublic partial class TinyGpt;",
            "[FullAttention(Layers = new[] { 0 }, Every = 2)] gives both Layers and Every; keep one of them" },
        { "XF0026", Usings + Transformer + Attention + "[FullAttention([|Heads = 8|], Every = 2)]\n[Positions(Kind = PositionEncoding.Rotary)]\npublic partial class TinyGpt;",
            "Kind = Rotary shares one rotation table across layers, so every attention needs the same head size, but [FullAttention] has 64 and [FullAttention(Every = 2)] has 32; give them the same Heads, or use Kind = Learned or Sinusoidal" },
        { "XF0027", Usings + Transformer + "[FullAttention(Heads = 4, [|Layers = new[] { 0, 0 }|])]\n[FullAttention(Heads = 8)]\npublic partial class TinyGpt;",
            "Layers = new[] { 0, 0 } names layer 0 more than once; name each layer once, e.g. Layers = new[] { 0 }" },
        { "XF0028", Usings + Transformer + "[[|FullAttention(Heads = 4)|]]\n[FullAttention(Heads = 8, Every = 1)]\npublic partial class TinyGpt;",
            "[FullAttention] takes the layers no other attention names, but the others name all 4 layers, so it would be ignored; remove it, or give the others fewer layers" },
        { "XF0013", Usings + Transformer + Attention + "[FeedForward([|Chunks = 0|])]\npublic partial class TinyGpt;",
            "Chunks = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Chunks = 8" },
        { "XF0070", Usings + Transformer + Attention + "[FeedForward(Hidden = 1024, [|Chunks = 6|])]\npublic partial class TinyGpt;",
            "Chunks = 6 does not divide MaxLength = 1024, so the feed-forward pieces would not have one length; use a divisor of 1024 such as 4 or 8" },
        { "XF0070", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 100)]\n" + Attention + "[FeedForward([|Chunks = 300|])]\npublic partial class TinyGpt;",
            "Chunks = 300 does not divide MaxLength = 100, so the feed-forward pieces would not have one length; use a divisor of 100 such as 100" },
        { "XF0071", Usings + Transformer + Attention + "[Normalization(Placement = NormPlacement.Post)]\n[[|Reversible|]]\npublic partial class TinyGpt;",
            "[Reversible] reconstructs each block's inputs by subtracting its sublayers' outputs, which a norm after the residual sum (Placement = Post) makes impossible; use Placement = NormPlacement.Pre, or remove [Reversible]" },
        // Model shapes: heads and encoder-decoders.
        { "XF0080", Usings + Transformer + Attention + "[[|ClassificationHead(Classes = 2)|]]\npublic partial class TinyGpt;",
            "[ClassificationHead] is a head for an encoder, whose every position sees the whole sequence, but the [Transformer] is causal (Causal = true is the default); declare Causal = false on [Transformer], or remove [ClassificationHead] to keep a language model" },
        { "XF0081", Usings + Encoder + Attention + "[ClassificationHead(Classes = 2)]\n[[|MaskedLanguageModelHead(MaskToken = 1)|]]\npublic partial class TinyGpt;",
            "Model 'TinyGpt' declares both [ClassificationHead] and [MaskedLanguageModelHead], but a model has one output head; keep the one its training needs" },
        { "XF0082", Usings + Encoder + Attention + "[MaskedLanguageModelHead([|MaskToken = 256|])]\npublic partial class TinyGpt;",
            "MaskToken = 256 is not a token id of Vocab = 256; use an id from 0 to 255, best one the data never holds (declare Vocab one larger than the data needs and MaskToken = Vocab - 1, e.g. Vocab = 257 and MaskToken = 256 for bytes)" },
        { "XF0013", Usings + Encoder + Attention + "[ClassificationHead([|Classes = 0|])]\npublic partial class TinyGpt;",
            "Classes = 0 is outside the supported range 1 to 1048576; use a value in that range, for example Classes = 2" },
        { "XF0019", Usings + Encoder + Attention + "[ClassificationHead(Classes = 2, [|Pooling = (Pooling)7|])]\npublic partial class TinyGpt;",
            "Pooling = 7 is not a defined Pooling; use one of Pooling.Mean, Pooling.First, Pooling.Attention" },
        { "XF0083", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|Causal = false|])]\n[Encoder(Depth = 2)]\n" + Attention + "public partial class TinyGpt;",
            "With [Encoder], the [Transformer] declares the decoder, which generates the target left to right and so must be causal, but it says Causal = false; remove Causal = false (the encoder is always bidirectional)" },
        { "XF0084", Usings + Transformer + "[FullAttention(Heads = 4, [|Stack = ModelStack.Encoder|])]\npublic partial class TinyGpt;",
            "[FullAttention] gives Stack = ModelStack.Encoder, but model 'TinyGpt' has one stack (it declares no [Encoder]); remove Stack, or add [Encoder(Depth = ...)] to make the model an encoder-decoder" },
        { "XF0085", Usings + Transformer + "[Encoder(Depth = 2)]\n" + Attention + "[[|ClassificationHead(Classes = 2)|]]\npublic partial class TinyGpt;",
            "[ClassificationHead] is a head for an encoder alone, but model 'TinyGpt' is an encoder-decoder, whose output is the decoder's next-token logits; remove [ClassificationHead], or remove [Encoder] to make the model an encoder with this head" },
        { "XF0086", Usings + Transformer + "[Encoder(Depth = 2, Vocab = 100, [|SharedEmbeddings = true|])]\n" + Attention + "public partial class TinyGpt;",
            "SharedEmbeddings = true uses one token embedding for source and target, but the source has Vocab = 100 and the target Vocab = 256; give [Encoder] no Vocab (or Vocab = 256), or remove SharedEmbeddings" },
        { "XF0087", Usings + Transformer + "[Encoder(Depth = 2)]\n" + Attention + "[[|Reversible|]]\npublic partial class TinyGpt;",
            "[Reversible] pairs each block's two sublayers, but a decoder block of an encoder-decoder has three (self-attention, cross-attention, feed-forward); remove [Reversible]" },
        { "XF0088", Usings + Transformer + "[[|Encoder(Depth = 2)|]]\n[FullAttention(Heads = 4, Stack = ModelStack.Decoder)]\npublic partial class TinyGpt;",
            "The encoder of 'TinyGpt' has no attention: every attention attribute gives Stack = ModelStack.Decoder; add one for the encoder (Stack = ModelStack.Encoder), or remove Stack from one to let it serve both stacks" },
        { "XF0013", Usings + Transformer + "[Encoder([|Depth = 0|])]\n" + Attention + "public partial class TinyGpt;",
            "Depth = 0 is outside the supported range 1 to 1024; use a value in that range, for example Depth = 4" },
        { "XF0014", Usings + Transformer + "[Encoder(Depth = 2, [|CrossAttentionHeads = 3|])]\n" + Attention + "public partial class TinyGpt;",
            "Heads = 3 does not divide Dim = 256; use a divisor of 256 such as 4 or 8" },
        { "XF0008", Usings + Transformer + "[Encoder(Depth = 2)]\n" + Attention + "[[|LinearAttention(Heads = 4, Stack = ModelStack.Decoder)|]]\npublic partial class TinyGpt;",
            "Model 'Decoder' already declares [FullAttention] for every layer not named elsewhere, so [LinearAttention] conflicts with it; keep one attention attribute without Layers or Every, and give the others Layers = new[] { ... } or Every = n" },
        { "XF0021", Usings + Transformer + "[Encoder(Depth = 2)]\n" + Attention + "[FullAttention(Heads = 8, [|Layers = new[] { 3 }|], Stack = ModelStack.Encoder)]\npublic partial class TinyGpt;",
            "Layers = new[] { 3 } names layer 3, but Depth = 2 has layers 0 to 1; name layers from 0 to 1, or remove Layers to take the layers no other attention names" },
        { "XF0089", Usings + "[Transformer(Vocab = 64, Dim = 256, Depth = 6, MaxLength = 64, [|MultAddsBudget = 50_000_000|])]\n[Encoder(Depth = 6)]\n" + Attention + "public partial class TinyGpt;",
            // Per 30-token sentence: encoder 6 × 30 × (4·256² + 2·256·30 + 2·256·1024), decoder 6 × 30 × (4·256² + 256·31 +
            // 2·256·1024), cross-attention 6 × (4·256²·30 + 2·30²·256): 144,322,560 + 142,986,240 + 49,950,720.
            "Model 'TinyGpt' costs 337,259,520 Mult-Adds per sentence of 30 tokens, 287,259,520 over MultAddsBudget = 50,000,000; the encoder feed-forward costs most (94,371,840, 28% of the total); make it smaller (Dim, Depth, Hidden, AttentionWidth or kernel sizes), or raise MultAddsBudget" },
        { "XF0089", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|MultAddsBudget = 1000|], SentenceLength = 8)]\n" + Attention + "public partial class TinyGpt;",
            // 4 layers × 8 tokens × (4·256² + 256·9 + 2·256·1024); the output head is not counted.
            "Model 'TinyGpt' costs 25,239,552 Mult-Adds per sentence of 8 tokens, 25,238,552 over MultAddsBudget = 1,000; the feed-forward costs most (16,777,216, 66% of the total); make it smaller (Dim, Depth, Hidden, AttentionWidth or kernel sizes), or raise MultAddsBudget" },
        { "XF0013", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|MultAddsBudget = -1|])]\n" + Attention + "public partial class TinyGpt;",
            "MultAddsBudget = -1 is outside the supported range 1 to 9223372036854775807; use a value in that range, for example MultAddsBudget = 500000000" },
        { "XF0012", Usings + "[Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, [|SentenceLength = 20|])]\n" + Attention + "public partial class TinyGpt;",
            "SentenceLength = 20 has no effect because no MultAddsBudget is declared; remove it, or declare MultAddsBudget = ... to set a budget at this length" },
        { "XF0009", Usings + "[[|Encoder(Depth = 2)|]]\npublic partial class NotAModel;",
            "[Encoder] on 'NotAModel' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to 'NotAModel' or remove [Encoder]" },
        { "XF0009", Usings + "[[|Reversible|]]\npublic partial class NotAModel;",
            "[Reversible] on 'NotAModel' has no effect without [Transformer]; add [Transformer(Vocab = ..., Dim = ..., Depth = ..., MaxLength = ...)] to 'NotAModel' or remove [Reversible]" },
        { "XF0020", Usings + Transformer + Attention + "public partial class [|Block|];",
            "Class 'Block' already uses the name 'Block', which the generated module needs; rename the class" },
        { "XF0020", Usings + Transformer + Attention + "public partial class TinyGpt { private readonly int[] [|layers|] = new int[0]; public int Count => layers.Length; }",
            "Class 'TinyGpt' already uses the name 'layers', which the generated module needs; rename 'layers' in your declaration" },
        { "XF0020", Usings + Transformer + Attention + "public partial class TinyGpt { public int [|Step|] => 0; }",
            "Class 'TinyGpt' already uses the name 'Step', which the generated module needs; rename 'Step' in your declaration" },
        { "XF0020", Usings + Transformer + Attention + "public partial class TinyGpt { public int [|Spec|]() => 0; }",
            "Class 'TinyGpt' already uses the name 'Spec', which the generated module needs; rename 'Spec' in your declaration" },
        { "XF0020", Usings + Transformer + Attention + "public partial class TinyGpt { public object [|CreateState|](long batch) => batch; }",
            "Class 'TinyGpt' already uses the name 'CreateState', which the generated module needs; rename 'CreateState' in your declaration" },
        { "XF0029", Usings + Transformer + Attention + "public partial class TinyGpt[|(string name)|] { public string Name => name; }",
            "Class 'TinyGpt' declares the primary constructor 'TinyGpt(string name)', but the generated module needs its own parameterless constructor to build the layers; remove the parameter list and keep your values in properties or fields" },
        { "XF0020", Usings + Transformer + Attention + "public partial class TinyGpt { public [|TinyGpt|]() : base(null!) { } }",
            "Class 'TinyGpt' already uses the name 'TinyGpt()', which the generated module needs; remove the parameterless constructor, the generated one builds the layers" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Diagnostic_points_at_the_offending_syntax_with_a_message_naming_value_and_fix(string id, string markedSource, string message) =>
        DiagnosticCases.AssertReportedAtMarkedSyntax(id, markedSource, message);

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_declaration_with_an_error_generates_no_source(string id, string markedSource, string message) =>
        DiagnosticCases.AssertNoSourceOnError(id, markedSource, message);

    [Fact]
    public void Missing_runtime_reference_is_reported_at_the_transformer_attribute()
    {
        var markup = Markup.Parse(Usings + "[[|Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024)|]]\n" + Attention + "public partial class TinyGpt;");

        var run = GeneratorHarness.Run(markup.Source, GeneratorHarness.DslOnlyReferences);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("XF0011", diagnostic.Id);
        Assert.Equal(markup.Span, diagnostic.Location.SourceSpan);
        Assert.Contains("XformerDsl.Modules.ModelInputs", diagnostic.GetMessage());
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Several_problems_in_one_declaration_are_all_reported_in_declaration_order()
    {
        var run = GeneratorHarness.Run(Usings + """
            [Transformer(Vocab = 0, Dim = 256, Depth = 4, MaxLength = 1024, Dropout = -0.5)]
            [FullAttention(Heads = 3)]
            [Normalization(Epsilon = -1)]
            public class TinyGpt;
            """);

        Assert.Equal(new[] { "XF0001", "XF0013", "XF0015", "XF0014", "XF0016" }, run.GeneratorDiagnostics.Select(d => d.Id));
    }

    [Theory]
    [InlineData("[FullAttention(Heads = 4)]")]
    [InlineData("[FullAttention(Heads = 4)] [FullAttention(Heads = 8, Every = 2)] [Positions(Kind = PositionEncoding.Learned)]")]
    [InlineData("[FullAttention(Heads = 4, Layers = new[] { 0, 1 })] [FullAttention(Heads = 8, Layers = new[] { 3, 2 })]")]
    [InlineData("[FullAttention(Heads = 4, Every = 1)]")]
    [InlineData("[FullAttention(Heads = 4)] [FeedForward(Chunks = 1024)] [Reversible]")]
    [InlineData("[FullAttention(Heads = 4)] [FeedForward(Hidden = 64, Chunks = 8)] [Reversible] [Normalization(Kind = NormKind.RmsNorm)]")]
    [InlineData("[FullAttention(Heads = 4)] [FeedForward(Hidden = 64, Activation = Activation.SwiGlu)] [Positions(Kind = PositionEncoding.Rotary, RotaryBase = 1e6)] [Normalization(Kind = NormKind.RmsNorm, Placement = NormPlacement.Post, Epsilon = 1e-6)]")]
    public void Valid_declaration_yields_no_diagnostic(string attributes) => DiagnosticCases.AssertValid(attributes);

    [Fact]
    public void Descriptor_ids_are_unique_well_formed_and_in_ascending_order()
    {
        // Attention families take IDs from ranges of their own, so the sequence may have gaps; an ID never changes.
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();
        Assert.All(ids, id => Assert.Matches("^XF[0-9]{4}$", id));
        Assert.Equal(ids.Distinct().Order(StringComparer.Ordinal), ids);
    }
}
