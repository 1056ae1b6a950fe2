using TorchSharp;
using XformerDsl;
using XformerDsl.Attention.Axial;
using XformerDsl.Specs;
using Xunit;
using static TorchSharp.torch;
using static XformerDsl.Tests.Attention.AttentionKernelKit;

namespace XformerDsl.Tests.Attention.Patterns;

[Transformer(Vocab = 4, Dim = 32, Depth = 1, MaxLength = 240)]
[AxialAttention(Heads = 2, Rows = 12, Columns = 20)]
public partial class AxialCausal;

[Transformer(Vocab = 4, Dim = 64, Depth = 1, MaxLength = 128, Causal = false)]
[AxialAttention(Heads = 4, Rows = 16, Columns = 8)]
public partial class AxialBidirectional;

/// <summary>
/// The generated axial attention layer (row heads through RowKernel, column heads through ColumnKernel over the
/// sequence read column by column) against the layer composed by hand from its own projections and the reference:
/// the full attention with each head's axis as a dense mask in the original order. Values and the gradients of the
/// input and of every projection, causal and not, full grids and shorter sequences, with padding.
/// </summary>
public class AxialAttentionTests
{
    public static TheoryData<string, int, int, bool> Cases() => new()
    {
        // model, batch, seq, masked
        { nameof(AxialCausal), 2, 240, true },
        { nameof(AxialCausal), 1, 97, false },
        { nameof(AxialBidirectional), 2, 128, false },
        { nameof(AxialBidirectional), 3, 77, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_matches_the_dense_mask_reference_in_values_and_gradients(string name, int batch, int seq, bool masked)
    {
        var (layer, spec) = Layer(name);
        var axial = (AxialAttentionSpec)spec.Attention[0].Attention;
        using var scope = NewDisposeScope();
        var x = randn(batch, seq, spec.Dim, generator: new torch.Generator((ulong)seq)).requires_grad_();
        var mask = masked ? RandomPadding(batch, seq, seed: seq) : null;
        var upstream = randn(batch, seq, spec.Dim, generator: new torch.Generator(99));
        var projections = layer.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);

        Tensor Reference(Tensor input)
        {
            int heads = axial.Heads, headDim = spec.Dim / heads;
            Tensor Split(string projection) => projections[projection].call(input).view(batch, seq, heads, headDim).transpose(1, 2);
            var attended = AxialAttentionReference.Forward(Split("q_proj"), Split("k_proj"), Split("v_proj"), axial, spec.Causal, mask);
            return projections["out_proj"].call(attended.transpose(1, 2).reshape(batch, seq, spec.Dim));
        }

        var (fused, fusedGradients) = ValueAndGradients(layer, x, input => Forward(layer, input, mask), upstream);
        var (reference, referenceGradients) = ValueAndGradients(layer, x, Reference, upstream);

        AssertClose(reference, fused, "output");
        foreach (var (what, expected) in referenceGradients)
            AssertClose(expected, fusedGradients[what], what);
    }

    [Fact]
    public void A_causal_query_sees_exactly_its_row_and_column_so_far()
    {
        var (layer, spec) = Layer(nameof(AxialCausal));
        var axial = (AxialAttentionSpec)spec.Attention[0].Attention;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        const int seq = 240, query = 150;   // row 7, column 10
        var x = randn(1, seq, spec.Dim, generator: new torch.Generator(4));
        var before = Forward(layer, x, null)[0, query];
        // One batch: sequence b has position b changed.
        var changed = x.expand(seq, seq, spec.Dim).clone();
        for (int position = 0; position < seq; position++)
            changed[position, position] = changed[position, position] + 1;
        var after = Forward(layer, changed, null)[.., query];
        var seen = Enumerable.Range(0, seq).Where(position => !after[position].eq(before).all().item<bool>()).ToList();
        var expected = Enumerable.Range(0, seq).Where(key => axial.RowSees(query, key, true) || axial.ColumnSees(query, key, true));
        Assert.Equal(expected, seen);
    }

    private static (nn.Module Layer, ModelSpec Spec) Layer(string name)
    {
        torch.manual_seed(5);
        nn.Module model = name == nameof(AxialCausal) ? new AxialCausal() : new AxialBidirectional();
        var spec = name == nameof(AxialCausal) ? AxialCausal.Spec : AxialBidirectional.Spec;
        return (model.named_modules().Single(m => m.name == "layers.0.attn").module, spec);
    }

    private static Tensor Forward(nn.Module layer, Tensor x, Tensor? mask) => layer switch
    {
        AxialCausal.SelfAttention a => a.forward(x, mask),
        AxialBidirectional.SelfAttention a => a.forward(x, mask),
        _ => throw new ArgumentException(layer.GetType().Name),
    };

    // The output, and the gradients of sum(output ⊙ upstream) with respect to the input and every parameter of the layer.
    private static (Tensor Output, Dictionary<string, Tensor> Gradients) ValueAndGradients(nn.Module layer, Tensor x, Func<Tensor, Tensor> forward, Tensor upstream)
    {
        layer.zero_grad();
        var input = x.detach().requires_grad_();
        using var enabled = enable_grad();
        var output = forward(input);
        (output * upstream).sum().backward();
        var gradients = layer.named_parameters().ToDictionary(p => p.name + " gradient", p => p.parameter.grad!.clone());
        gradients["input gradient"] = input.grad!;
        return (output.detach(), gradients);
    }
}
