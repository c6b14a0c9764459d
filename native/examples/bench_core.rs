//! Benchmarks the pure core without Node: batches/s of the CIFAR recipe on a given Arrow file.
//! cargo run --release --no-default-features --example bench_core -- <file.arrow> [threads]
use gymnos_native::batch::Core;
use gymnos_native::plan::Plan;
use gymnos_native::pool::Pool;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).expect("usage: bench_core <file.arrow> [threads]");
    let threads: usize = args.get(2).map(|t| t.parse().unwrap()).unwrap_or(1);
    let plan = Plan::from_json(&format!(
        r#"{{"path":"{path}","data":{{"kind":"image","column":"image","layout":"NCHW","transforms":[
        {{"type":"randomCrop","size":[32,32],"padding":4,"fill":0}},{{"type":"horizontalFlip","p":0.5}},
        {{"type":"toFloat","scale":0.00392156862745098}},{{"type":"normalize","mean":[0.4914,0.4822,0.4465],"std":[0.247,0.2435,0.2616]}}]}},
        "label":{{"column":"label","oneHot":null}},"batchTransforms":[],"batchSize":128,"shuffle":true,"seed":1,"dropLast":false,
        "shard":{{"index":0,"count":1}},"threads":{threads},"prefetch":{},"epochs":4,"cursor":{{"epoch":0,"position":0}},"residentBytes":33554432}}"#,
        4 * threads
    ))
    .unwrap();
    let core = Core::open(plan).unwrap();
    let bpe = core.batches_per_epoch;
    let rows = core.dataset.rows;
    let pool = Pool::start(core, Box::new(|| {})).unwrap();
    for epoch in 0..4u64 {
        let t = Instant::now();
        for i in 0..bpe {
            pool.wait(epoch * bpe + i).unwrap();
        }
        println!("epoch {epoch}: {:.0} img/s", rows as f64 / t.elapsed().as_secs_f64());
    }
}
