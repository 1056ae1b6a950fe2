using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace XformerDsl.Benchmarks;

/// <summary>
/// The model suite's baseline: the declared model's architecture written by hand from TorchSharp modules and
/// <c>scaled_dot_product_attention</c>, as a user would in an afternoon. Pre-norm GPT-2 blocks (LayerNorm, causal
/// multi-head attention, LayerNorm, GELU feed-forward), learned positions, a final norm and an output head. Its
/// parameters have the generated model's names, so the generated model's state dict loads into it unchanged.
/// </summary>
internal sealed class HandwrittenTransformer : nn.Module<Tensor, Tensor>
{
    private readonly Embedding token_embedding;
    private readonly Embedding position_embedding;
    private readonly ModuleList<HandwrittenBlock> layers;
    private readonly LayerNorm final_norm;
    private readonly Linear lm_head;

    /// <summary>The hand-written twin of a declared model with one full-attention declaration and the default frame.</summary>
    public static HandwrittenTransformer For(XformerDsl.Specs.ModelSpec spec) => Build(spec, attend: true);

    /// <summary>
    /// The same model with each attention call replaced by <c>q + k + v</c>: every projection, norm, feed-forward and the
    /// output head stay, with their gradients, and attention itself costs two additions. Its step is what the other two
    /// models spend besides attention, so subtracting it leaves what attention costs inside each of them.
    /// </summary>
    public static HandwrittenTransformer WithoutAttention(XformerDsl.Specs.ModelSpec spec) => Build(spec, attend: false);

    private static HandwrittenTransformer Build(XformerDsl.Specs.ModelSpec spec, bool attend) =>
        new(spec.Vocab, spec.Dim, spec.Depth, spec.Attention[0].Attention.Heads, spec.FeedForward.Hidden, spec.MaxLength, attend);

    private HandwrittenTransformer(int vocab, int dim, int depth, int heads, int hidden, int maxLength, bool attend) : base(nameof(HandwrittenTransformer))
    {
        token_embedding = nn.Embedding(vocab, dim);
        position_embedding = nn.Embedding(maxLength, dim);
        layers = new ModuleList<HandwrittenBlock>();
        for (int i = 0; i < depth; i++)
            layers.Add(new HandwrittenBlock(dim, heads, hidden, attend));
        final_norm = nn.LayerNorm(dim);
        lm_head = nn.Linear(dim, vocab);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var positions = arange(tokens.shape[1], dtype: int64, device: tokens.device);
        var x = token_embedding.forward(tokens) + position_embedding.forward(positions);
        foreach (var layer in layers)
            x = layer.forward(x);
        return lm_head.forward(final_norm.forward(x)).MoveToOuterDisposeScope();
    }

    private sealed class HandwrittenBlock : nn.Module<Tensor, Tensor>
    {
        private readonly LayerNorm attn_norm;
        private readonly HandwrittenAttention attn;
        private readonly LayerNorm ffn_norm;
        private readonly HandwrittenFeedForward ffn;

        public HandwrittenBlock(int dim, int heads, int hidden, bool attend) : base(nameof(HandwrittenBlock))
        {
            attn_norm = nn.LayerNorm(dim);
            attn = new HandwrittenAttention(dim, heads, attend);
            ffn_norm = nn.LayerNorm(dim);
            ffn = new HandwrittenFeedForward(dim, hidden);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            x = x + attn.forward(attn_norm.forward(x));
            return x + ffn.forward(ffn_norm.forward(x));
        }
    }

    private sealed class HandwrittenAttention : nn.Module<Tensor, Tensor>
    {
        private readonly Linear q_proj, k_proj, v_proj, out_proj;
        private readonly int _heads;
        private readonly bool _attend;

        public HandwrittenAttention(int dim, int heads, bool attend) : base(nameof(HandwrittenAttention))
        {
            _heads = heads;
            _attend = attend;
            q_proj = nn.Linear(dim, dim);
            k_proj = nn.Linear(dim, dim);
            v_proj = nn.Linear(dim, dim);
            out_proj = nn.Linear(dim, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long batch = x.shape[0], seq = x.shape[1], dim = x.shape[2];
            Tensor Split(Linear projection) => projection.forward(x).view(batch, seq, _heads, dim / _heads).transpose(1, 2);
            var (q, k, v) = (Split(q_proj), Split(k_proj), Split(v_proj));
            var attended = _attend ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true) : q + k + v;
            return out_proj.forward(attended.transpose(1, 2).reshape(batch, seq, dim));
        }
    }

    private sealed class HandwrittenFeedForward : nn.Module<Tensor, Tensor>
    {
        private readonly Linear up_proj, down_proj;

        public HandwrittenFeedForward(int dim, int hidden) : base(nameof(HandwrittenFeedForward))
        {
            up_proj = nn.Linear(dim, hidden);
            down_proj = nn.Linear(hidden, dim);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => down_proj.forward(nn.functional.gelu(up_proj.forward(x)));
    }
}
