console.log("build", typeof __filename, typeof __dirname, process.argv); require("v8").startupSnapshot.setDeserializeMainFunction(()=>console.log(process.argv.slice(1)))
