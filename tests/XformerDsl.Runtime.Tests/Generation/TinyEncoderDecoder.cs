using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Attention.Full;
using XformerDsl.Modules;
using XformerDsl.Specs;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Generation;

/// <summary>
/// A hand-written one-layer encoder–decoder (post-norm, learned positions, full attention composed from
/// <see cref="FullAttentionReference"/>), standing in for the generated one until the generator emits it: its
/// <see cref="Step"/> uses a key-value cache for self-attention and cross-attention keys and values computed once in
/// <see cref="CreateDecoderState"/>, as the generated model's will.
/// </summary>
internal sealed class TinyEncoderDecoder : nn.Module, IEncoderDecoderModel
{
    private const int Heads = 2;
    private readonly int _dim;
    private readonly Embedding src_emb, src_pos, tgt_emb, tgt_pos;
    private readonly Linear enc_q, enc_k, enc_v, enc_o, enc_ff1, enc_ff2;
    private readonly LayerNorm enc_norm1, enc_norm2;
    private readonly Linear self_q, self_k, self_v, self_o, cross_q, cross_k, cross_v, cross_o, dec_ff1, dec_ff2, head;
    private readonly LayerNorm dec_norm1, dec_norm2, dec_norm3;

    public TinyEncoderDecoder(int sourceVocab, int targetVocab, int dim = 32, int sourceMaxLength = 16, int targetMaxLength = 16)
        : base(nameof(TinyEncoderDecoder))
    {
        _dim = dim;
        Declaration = Models.TinyGpt2.Spec with
        {
            Name = nameof(TinyEncoderDecoder),
            Vocab = targetVocab,
            Dim = dim,
            Depth = 1,
            MaxLength = targetMaxLength,
            Causal = true,
            Encoder = new EncoderSpec(sourceVocab, Depth: 1, sourceMaxLength, SharedEmbeddings: false, CrossAttentionHeads: Heads),
        };
        src_emb = nn.Embedding(sourceVocab, dim);
        src_pos = nn.Embedding(sourceMaxLength, dim);
        tgt_emb = nn.Embedding(targetVocab, dim);
        tgt_pos = nn.Embedding(targetMaxLength, dim);
        (enc_q, enc_k, enc_v, enc_o) = (nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim));
        (enc_ff1, enc_ff2) = (nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim));
        (enc_norm1, enc_norm2) = (nn.LayerNorm(dim), nn.LayerNorm(dim));
        (self_q, self_k, self_v, self_o) = (nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim));
        (cross_q, cross_k, cross_v, cross_o) = (nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim));
        (dec_ff1, dec_ff2) = (nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim));
        (dec_norm1, dec_norm2, dec_norm3) = (nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim));
        head = nn.Linear(dim, targetVocab);
        RegisterComponents();
    }

    public ModelSpec Declaration { get; }

    /// <summary>[batch, seq, dim] → [batch, heads, seq, headDim].</summary>
    private Tensor Split(Tensor x) => x.view(x.shape[0], x.shape[1], Heads, _dim / Heads).transpose(1, 2);

    /// <summary>[batch, heads, seq, headDim] → [batch, seq, dim].</summary>
    private Tensor Merge(Tensor x) => x.transpose(1, 2).reshape(x.shape[0], x.shape[2], _dim);

    private Tensor EncoderOutput(Tensor source, Tensor? mask)
    {
        var positions = arange(source.shape[1], device: source.device);
        var x = src_emb.forward(source) + src_pos.forward(positions);
        var attended = FullAttentionReference.Forward(Split(enc_q.forward(x)), Split(enc_k.forward(x)), Split(enc_v.forward(x)), causal: false, mask);
        x = enc_norm1.forward(x + enc_o.forward(Merge(attended)));
        return enc_norm2.forward(x + enc_ff2.forward(nn.functional.relu(enc_ff1.forward(x))));
    }

    /// <summary>The decoder after self-attention: cross-attention, feed-forward and head, for [batch, seq, dim].</summary>
    private Tensor DecoderTail(Tensor y, Tensor crossKeys, Tensor crossValues, Tensor? sourceMask)
    {
        var attended = FullAttentionReference.Forward(Split(cross_q.forward(y)), crossKeys, crossValues, causal: false, sourceMask);
        y = dec_norm2.forward(y + cross_o.forward(Merge(attended)));
        y = dec_norm3.forward(y + dec_ff2.forward(nn.functional.relu(dec_ff1.forward(y))));
        return head.forward(y);
    }

    public Tensor forward(Tensor source, Tensor target, Tensor? sourcePaddingMask, Tensor? targetPaddingMask)
    {
        using var scope = NewDisposeScope();
        var memory = EncoderOutput(source, sourcePaddingMask);
        var positions = arange(target.shape[1], device: target.device);
        var y = tgt_emb.forward(target) + tgt_pos.forward(positions);
        var attended = FullAttentionReference.Forward(Split(self_q.forward(y)), Split(self_k.forward(y)), Split(self_v.forward(y)), causal: true, targetPaddingMask);
        y = dec_norm1.forward(y + self_o.forward(Merge(attended)));
        return DecoderTail(y, Split(cross_k.forward(memory)), Split(cross_v.forward(memory)), sourcePaddingMask).MoveToOuterDisposeScope();
    }

    public EncodedSource Encode(Tensor source, Tensor? sourcePaddingMask)
    {
        using var scope = NewDisposeScope();
        return new EncodedSource(EncoderOutput(source, sourcePaddingMask), sourcePaddingMask);
    }

    public DecoderState CreateDecoderState(EncodedSource encoded)
    {
        using var scope = NewDisposeScope();
        var state = new DecoderState(new RecurrentState(encoded.Batch, Declaration.MaxLength, encoded.Output.device, encoded.Output.dtype), encoded);
        state.CrossKeyValues(0, _ => new CrossAttentionKeyValues(Split(cross_k.forward(encoded.Output)), Split(cross_v.forward(encoded.Output))));
        return state;
    }

    public Tensor Step(DecoderState state, Tensor tokens, Tensor? active = null)
    {
        var self = state.SelfAttention;
        self.BeginStep(tokens, active, Declaration.Vocab, nameof(TinyEncoderDecoder));
        using var scope = NewDisposeScope();
        var y = (tgt_emb.forward(tokens.to(ScalarType.Int64)) + tgt_pos.forward(self.Positions)).unsqueeze(1);   // [batch, 1, dim]
        var cache = self.KeyValues(0, Heads, _dim / Heads);
        var attended = cache.Step(Split(self_q.forward(y)), Split(self_k.forward(y)), Split(self_v.forward(y)), self.Positions);
        y = dec_norm1.forward(y + self_o.forward(Merge(attended)));
        var cross = state.CrossKeyValues(0, _ => throw new InvalidOperationException("CreateDecoderState computes the cross keys."));
        var logits = DecoderTail(y, cross.Keys, cross.Values, state.SourcePaddingMask)[.., 0];
        self.EndStep();
        return logits.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A parameter-free encoder–decoder whose next-token distribution depends only on the previous token, by a fixed table:
/// crafted cases for beam search, where the most likely sequence is known.
/// </summary>
internal sealed class BigramScript : IEncoderDecoderModel
{
    private readonly Tensor _logTable;

    /// <param name="rows">For each previous token, its successors' probabilities; the rest of each row is spread evenly.</param>
    public BigramScript(int vocab, int maxLength, IReadOnlyDictionary<int, (int Token, double Probability)[]> rows)
    {
        var table = new double[vocab * vocab];
        for (int from = 0; from < vocab; from++)
        {
            var given = rows.TryGetValue(from, out var r) ? r : [];
            double rest = (1 - given.Sum(g => g.Probability)) / (vocab - given.Length);
            for (int to = 0; to < vocab; to++)
                table[from * vocab + to] = given.FirstOrDefault(g => g.Token == to) is { Probability: > 0 } hit ? hit.Probability : rest;
        }
        _logTable = tensor(table, new long[] { vocab, vocab }).log();
        Declaration = Models.TinyGpt2.Spec with { Name = nameof(BigramScript), Vocab = vocab, MaxLength = maxLength, Encoder = new EncoderSpec(vocab, 1, 8, false, 1) };
    }

    public ModelSpec Declaration { get; }

    public Tensor forward(Tensor source, Tensor target, Tensor? sourcePaddingMask, Tensor? targetPaddingMask) => _logTable.index_select(0, target.flatten()).view(target.shape[0], target.shape[1], -1);

    public EncodedSource Encode(Tensor source, Tensor? sourcePaddingMask)
    {
        using var scope = NewDisposeScope();
        return new EncodedSource(zeros(source.shape[0], source.shape[1], 1, dtype: float64), sourcePaddingMask);
    }

    public DecoderState CreateDecoderState(EncodedSource encoded) =>
        new(new RecurrentState(encoded.Batch, Declaration.MaxLength, CPU, ScalarType.Float64), encoded);

    public Tensor Step(DecoderState state, Tensor tokens, Tensor? active = null)
    {
        state.SelfAttention.BeginStep(tokens, active, Declaration.Vocab, nameof(BigramScript));
        var logits = _logTable.index_select(0, tokens.to(ScalarType.Int64));
        state.SelfAttention.EndStep();
        return logits;
    }
}
